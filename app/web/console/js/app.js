// The console shell: who is signed in, the hash router (#/patients, #/patients/ID, ...), the nav.

import { call, whenSessionEnds, whenSecondFactorOwed } from "./http.js";
import { session, isAdmin, loadClinic, needsSecondFactor } from "./session.js";
import * as watch from "./watch.js";
import { saveDrafts, dropDrafts } from "./drafts.js";
import { listen as listenToWorker } from "./push.js";
import { h, replace, announce } from "/js/dom.js";

const NEXT_KEY = "console.next";
// Pages for whoever opens them, signed in or not (a set-password link opens on any computer).
const OPEN_PAGES = new Set(["/signin", "/set-password"]);

// path pattern → [module, page title, admins only]
const ROUTES = [
  [/^\/signin$/, "signin", "Sign in"],
  [/^\/two-step$/, "twostep", "Set up two-step sign-in"],
  [/^\/set-password$/, "setpassword", "Set your password"],
  [/^\/patients$/, "patients", "Patients"],
  [/^\/patients\/([0-9a-f-]{36})$/, "patient", "Patient"],
  [/^\/enrol$/, "enrol", "Enrol a patient"],
  [/^\/alerts$/, "alerts", "Alerts"],
  [/^\/visits$/, "visits", "Visits to book"],
  [/^\/adherence$/, "adherence", "Adherence"],
  [/^\/audit$/, "audit", "Audit log", true],
  [/^\/staff$/, "staff", "Staff", true],
  [/^\/settings$/, "settings", "Settings"],
];

const view = () => document.getElementById("view");
let cleanup = null;
let notice = "";
let renders = 0;

/** Keep where the staff member was going, to come back there once signed in or set up. */
function rememberWhereGoing() {
  const here = location.hash || "#/patients";
  if (!onTheWay(here)) sessionStorage.setItem(NEXT_KEY, here);
}

/** Pages on the way into the console, never a place to come back to. */
function onTheWay(hash) {
  return ["#/signin", "#/two-step"].some((page) => hash.startsWith(page));
}

/** "#/patients?q=ada" → {path: "/patients", query: URLSearchParams}. */
function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/patients";
  const [path, search = ""] = raw.split("?");
  return { path: path === "/" ? "/patients" : path, query: new URLSearchParams(search) };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** Change the address without a new render (e.g. the list's search box). */
export function setQuery(path, query) {
  // Only the page being shown may: one that was overtaken must not take the address back.
  if (parseHash().path !== path) return;
  const search = query.toString();
  history.replaceState(null, "", `#${path}${search ? `?${search}` : ""}`);
}

function showShell() {
  const isSignedIn = Boolean(session.me);
  document.getElementById("nav").hidden = !isSignedIn || needsSecondFactor();
  document.getElementById("who").hidden = !isSignedIn;
  document.getElementById("clinic-name").textContent = isSignedIn ? session.me.clinic_name : "";
  document.getElementById("who-name").textContent = isSignedIn
    ? `${session.me.name || session.me.email} · ${session.me.role}` : "";
  for (const link of document.querySelectorAll("#nav [data-admin]")) link.hidden = !isAdmin();
}

function markNav(name) {
  for (const link of document.querySelectorAll("#nav a")) {
    const current = link.dataset.route === name || (name === "patient" && link.dataset.route === "patients");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/** Signed in (after sign-in): the console, or first the two-step set-up its role requires. */
export async function signedIn(me) {
  session.me = me;
  if (needsSecondFactor()) {
    showShell();
    navigate("#/two-step");
    return;
  }
  await openConsole();
}

/** The whole console for the signed-in staff member, back where they were going. */
export async function openConsole() {
  try {
    await loadClinic();
  } catch {
    return; // the session lapsed at once: expired() has taken over
  }
  const next = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  // Go first, then show the navigation: once it shows, a click or a typed address is the
  // person's own, and no longer overtaken by this navigation.
  navigate(next && !onTheWay(next) ? next : "#/patients");
  showShell();
  watch.start();
}

/** A call refused until two-step sign-in is on (the role or the clinic's rule changed). */
function secondFactorOwed() {
  if (!session.me || needsSecondFactor()) return;
  session.me.totp_required = true;
  session.me.totp_enabled = false;
  watch.stop();
  showShell();
  rememberWhereGoing();
  navigate("#/two-step");
}

/** Any call answered 401: back to sign-in, coming back here afterwards. */
function expired() {
  if (!session.me) return;
  saveDrafts(); // before the page goes: signing in again brings back what was typed
  session.me = null;
  watch.stop();
  showShell();
  rememberWhereGoing();
  notice = "Your session has ended. Please sign in again.";
  navigate("#/signin");
}

async function signOut() {
  try {
    await call("POST", "/api/auth/logout");
  } catch {
    // signed out on this side anyway; the session ends on the server by itself
  }
  session.me = null;
  watch.stop();
  showShell();
  sessionStorage.removeItem(NEXT_KEY);
  dropDrafts();
  notice = "You have signed out.";
  navigate("#/signin");
}

/** A notice for the sign-in page (session ended, signed out), taken once. */
export function takeNotice() {
  const text = notice;
  notice = "";
  return text;
}

async function route() {
  const asked = location.hash;
  const { path, query } = parseHash();
  if (!session.me && !OPEN_PAGES.has(path)) {
    sessionStorage.setItem(NEXT_KEY, location.hash || "#/patients");
    navigate("#/signin");
    return;
  }
  if (session.me && path === "/signin") {
    navigate("#/patients");
    return;
  }
  if (needsSecondFactor() && path !== "/two-step" && path !== "/set-password") {
    if (!sessionStorage.getItem(NEXT_KEY)) rememberWhereGoing();
    navigate("#/two-step");
    return;
  }
  if (session.me && !needsSecondFactor() && path === "/two-step") {
    navigate("#/patients");
    return;
  }
  const found = ROUTES.map(([pattern, ...rest]) => [pattern.exec(path), ...rest]).find(([m]) => m);
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const target = view();
  const mine = ++renders;
  if (!found) {
    watch.setTitle("Not found · Aftercare console");
    showInstead(target, "Page not found", h("p", {}, h("a", { href: "#/patients" }, "Go to the patient list")));
    return;
  }
  const [match, name, title, adminOnly] = found;
  markNav(name);
  watch.setTitle(`${title} · Aftercare console`);
  if (adminOnly && !isAdmin()) {
    showInstead(target, title, h("p", { class: "message message-error" }, "Only a clinic admin can see this page."));
    return;
  }
  const page = await import(`./${name}.js`).catch(() => null);
  // The address changed again while the page's script loaded: its own hashchange, still to
  // come, routes there. Comparing the address too catches a change whose event has not yet
  // been seen (the script arrived in between), which the render count alone misses.
  if (mine !== renders || location.hash !== asked) return;
  if (!page) {
    // The page's script did not arrive (the network dropped). The browser keeps that failure
    // for this page's lifetime, so only a reload can try again: say so, never a blank view.
    showInstead(target, title,
      h("p", { class: "message message-error", role: "alert" }, "This page could not be loaded. Check the connection, then reload."),
      h("p", {}, h("button", { type: "button", class: "button", onclick: () => location.reload() }, "Reload")));
    return;
  }
  target.replaceChildren();
  const before = document.activeElement;
  const done = page.render(target, { params: match.slice(1), query, path, setTitle: (t) => watch.setTitle(`${t} · Aftercare console`) });
  cleanup = typeof done === "function" ? done : null;
  if (document.activeElement === before || !target.contains(document.activeElement)) focusHeading(target);
}

/** A heading and a few lines in place of the page asked for (not found, not allowed, not loaded). */
function showInstead(target, heading, ...lines) {
  replace(target, h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, heading)), ...lines);
  focusHeading(target);
}

function focusHeading(target) {
  const heading = target.querySelector("h1");
  if (heading) heading.focus({ preventScroll: true });
}

async function boot() {
  whenSessionEnds(expired);
  whenSecondFactorOwed(secondFactorOwed);
  document.getElementById("sign-out").addEventListener("click", signOut);
  document.getElementById("skip").addEventListener("click", () => document.getElementById("main").focus());
  window.addEventListener("hashchange", route);
  // A tapped alert notification while the console is open: go to the inbox, ask at once.
  listenToWorker((hash) => { navigate(hash); watch.refresh(); }, () => watch.refresh());
  try {
    const me = await call("GET", "/api/auth/me");
    session.me = me;
    if (!needsSecondFactor()) {
      await loadClinic();
      watch.start();
    }
    showShell();
  } catch {
    session.me = null;
  }
  route();
}

export { announce };
boot();
