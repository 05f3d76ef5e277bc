// The console's JSON calls: same-origin, cookie session; a lapsed session sends staff to sign in.

import { ApiError, NetworkError, send } from "/js/api.js";

export { ApiError, NetworkError };

let onExpired = () => undefined;
let onSecondFactorOwed = () => undefined;

/** What to do when any call finds the session gone (set once by the app shell). */
export function whenSessionEnds(fn) {
  onExpired = fn;
}

/** What to do when a call is refused until two-step sign-in is on (e.g. the role changed). */
export function whenSecondFactorOwed(fn) {
  onSecondFactorOwed = fn;
}

/** A 401 that means "signed out", not "that password or code was wrong". */
function sessionGone(error, path) {
  return error.status === 401 && !path.startsWith("/api/auth/login") && !/^wrong_/.test(error.code);
}

/** call("GET", "/api/patients") → the JSON body (null for 204); throws ApiError / NetworkError. */
export async function call(method, path, body) {
  const { response, data } = await send(method, path, body, { accept: "application/json" });
  if (!response.ok) {
    const error = new ApiError(response.status, data && data.code, data && data.detail);
    error.retryAfter = Number(response.headers.get("retry-after")) || null;
    // Refused input: which field, in words (app/validation_words.py), for the form to mark.
    error.fields = (data && Array.isArray(data.errors) ? data.errors : [])
      .filter((e) => e.field && e.message).map((e) => ({ field: e.field, message: e.message }));
    if (sessionGone(error, path)) onExpired();
    if (error.status === 403 && error.code === "second_factor_required") onSecondFactorOwed();
    throw error;
  }
  return data;
}

/** A sentence for staff about a failed call. */
export function problem(error) {
  if (error instanceof NetworkError) return "The server could not be reached. Check the connection and try again.";
  if (error instanceof ApiError) {
    // The server's own sentences for these say what to do (wait, or hand the link over).
    if (error.code === "send_failed" || error.code === "too_many_sends") return error.detail;
    if (error.status === 429) {
      const minutes = error.retryAfter ? Math.max(1, Math.ceil(error.retryAfter / 60)) : null;
      return minutes
        ? `Too many attempts. Please try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`
        : "Too many attempts. Please wait a few minutes and try again.";
    }
    if (error.status === 403 && error.code === "admin_only") return "Only a clinic admin can do this.";
    if (error.status === 404) return "Not found: it may have been removed, or belong to another clinic.";
    if (error.status >= 500) return "The server had a problem. Please try again in a moment.";
    return error.detail;
  }
  return "Something went wrong. Please try again.";
}
