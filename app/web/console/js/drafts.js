// What a staff member had typed when their session ended: kept in this tab only
// (sessionStorage, never shared storage, never a password), put back after signing in again.

import { announce } from "./ui.js";

const KEY = "console.drafts";
const kept = new Map(); // draft name -> its form, for the forms on the page now

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "{}");
  } catch {
    return {};
  }
}

/** The form's fields a person typed into, in order (not passwords, not buttons). */
function fields(form) {
  return [...form.elements].filter((e) => e.matches("input, select, textarea") && !e.matches("[type=password], [type=hidden], [type=file]"));
}

/**
 * Keep `form` as the draft `name` if the session ends while it is on the page; if a draft of
 * that name is waiting for this page, fill it in now. `name` names the form, unique per page.
 */
export function keepDraft(form, name) {
  kept.set(name, form);
  form.addEventListener("submit", () => forget(name));
  const drafts = stored();
  const draft = drafts[name];
  if (!draft || draft.page !== location.hash) return false;
  const controls = fields(form);
  draft.values.forEach((value, i) => {
    const control = controls[i];
    if (!control) return;
    if (control.type === "checkbox" || control.type === "radio") control.checked = value === true;
    else control.value = value;
  });
  forget(name);
  announce("What you typed before the session ended is back in the form.");
  return true;
}

/** Whether a draft of this name waits for the current page (e.g. to open its form first). */
export function hasDraft(name) {
  const draft = stored()[name];
  return Boolean(draft && draft.page === location.hash);
}

function forget(name) {
  const drafts = stored();
  delete drafts[name];
  sessionStorage.setItem(KEY, JSON.stringify(drafts));
}

/** The session ended: keep every kept form still on the page that has something typed in it. */
export function saveDrafts() {
  const drafts = stored();
  for (const [name, form] of kept) {
    if (!form.isConnected) continue;
    const values = fields(form).map((c) => (c.type === "checkbox" || c.type === "radio" ? c.checked : c.value));
    if (values.some((v) => typeof v === "string" && v.trim() !== "")) drafts[name] = { page: location.hash, values };
  }
  kept.clear();
  sessionStorage.setItem(KEY, JSON.stringify(drafts));
}

/** Signed out on purpose: nothing typed is kept. */
export function dropDrafts() {
  kept.clear();
  sessionStorage.removeItem(KEY);
}
