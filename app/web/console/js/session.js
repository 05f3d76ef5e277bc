// Who is signed in, and the clinic they work for (zone, name), for every page.

import { call } from "./http.js";
import { browserZone } from "./format.js";

export const session = {
  me: null, // StaffPublic
  clinic: null, // ClinicSettings, or a stand-in while GET /api/clinic is not there
};

export function isAdmin() {
  return Boolean(session.me && session.me.role === "admin");
}

/** Signed in, but the clinic requires a second factor of this role and it is not on yet. */
export function needsSecondFactor() {
  return Boolean(session.me && session.me.totp_required && !session.me.totp_enabled);
}

/** The clinic's zone: staff-facing times are shown in it. */
export function clinicZone() {
  return (session.clinic && session.clinic.time_zone) || browserZone();
}

export async function loadClinic() {
  try {
    session.clinic = await call("GET", "/api/clinic");
  } catch (error) {
    if (error.status === 401) throw error;
    session.clinic = { name: session.me ? session.me.clinic_name : "", time_zone: browserZone(), unavailable: true };
  }
  return session.clinic;
}
