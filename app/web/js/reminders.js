// Reminders (Web Push): turned on only by the patient's tap, checked again on every load.

import { api, NetworkError } from "./api.js";
import "./base64url.js"; // self.base64url (a classic script, so the service worker shares it)
import { h } from "./dom.js";
import { t } from "./i18n.js";

const WANTED = "aftercare.reminders"; // "on" | "off": what the patient last chose on this phone
const PROMPT = "aftercare.reminders-prompt"; // "later": hide the prompt on the day view

// unsupported | install | denied | off | working | on | error. The first state is what the phone
// knows at once (no waiting for the service worker), so the day view is drawn with the right
// card and does not jump when check() confirms it; check() then corrects a wrong guess.
let state = firstGuess();
let message = "";
const listeners = new Set();

export function onChange(fn) {
  listeners.add(fn);
}

function set(next, text = "") {
  state = next;
  message = text;
  for (const fn of listeners) fn(state);
}

export function current() {
  return state;
}

function isIos() {
  const ua = navigator.userAgent;
  return /iPad|iPhone|iPod/.test(ua) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
}

function isInstalled() {
  return navigator.standalone === true || matchMedia("(display-mode: standalone)").matches;
}

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function registration() {
  // `ready` never settles if the service worker could not be installed: do not wait forever.
  return Promise.race([
    navigator.serviceWorker.ready,
    new Promise((_, reject) => setTimeout(() => reject(new Error("no service worker")), 10000)),
  ]);
}

async function subscribeWith(reg, key) {
  const existing = await reg.pushManager.getSubscription();
  if (existing) await existing.unsubscribe().catch(() => undefined);
  const subscription = await reg.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: self.base64url.toBytes(key.public_key),
  });
  await api("POST", "/api/me/push-subscriptions", subscription.toJSON());
  localStorage.setItem(WANTED, "on");
  return subscription;
}

function firstGuess() {
  if (isIos() && !isInstalled()) return "install";
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  return Notification.permission === "granted" && localStorage.getItem(WANTED) === "on" ? "on" : "off";
}

/**
 * On every load: is this phone's subscription still the server's, made with its current key?
 * If not (key rotated, or the server forgot it), subscribe again silently.
 */
export async function check() {
  if (isIos() && !isInstalled()) return set("install");
  if (!supported()) return set("unsupported");
  if (Notification.permission === "denied") return set("denied");
  try {
    const reg = await registration();
    const subscription = await reg.pushManager.getSubscription();
    const wanted = localStorage.getItem(WANTED);
    if (Notification.permission !== "granted" || (!subscription && wanted !== "on")) return set("off");
    const [{ data: key }, { data: known }] = await Promise.all([
      api("GET", "/api/push/public-key"),
      api("GET", "/api/me/push-subscriptions"),
    ]);
    const mine = subscription && known.find((s) => s.endpoint === subscription.endpoint);
    if (mine && mine.current_key && mine.vapid_key_id === key.key_id) return set("on");
    await subscribeWith(reg, key);
    set("on");
  } catch (error) {
    if (error instanceof NetworkError) return set(localStorage.getItem(WANTED) === "on" ? "on" : "off");
    set("error", t("reminders.checkFailed"));
  }
}

export async function turnOn() {
  if (isIos() && !isInstalled()) return set("install");
  if (!supported()) return set("unsupported");
  // Ask first, straight from the tap: browsers only show the question after a user action.
  const permission = await Notification.requestPermission();
  if (permission === "denied") return set("denied");
  if (permission !== "granted") return set("off", t("reminders.stillOff"));
  set("working");
  try {
    const reg = await registration();
    const { data: key } = await api("GET", "/api/push/public-key");
    await subscribeWith(reg, key);
    localStorage.removeItem(PROMPT);
    set("on", t("reminders.turnedOn"));
  } catch (error) {
    set("error", error instanceof NetworkError ? t("reminders.offline") : t("reminders.onFailed"));
  }
}

export async function turnOff() {
  set("working");
  try {
    const reg = await registration();
    const subscription = await reg.pushManager.getSubscription();
    if (subscription) {
      await api("DELETE", "/api/me/push-subscriptions", { endpoint: subscription.endpoint });
      await subscription.unsubscribe().catch(() => undefined);
    }
    localStorage.setItem(WANTED, "off");
    set("off", t("reminders.turnedOff"));
  } catch (error) {
    set("on", error instanceof NetworkError ? t("reminders.offline") : t("reminders.offFailed"));
  }
}

/** Remove this phone's subscription from the server (before signing out). */
export async function forget() {
  if (!supported()) return;
  try {
    const reg = await navigator.serviceWorker.getRegistration();
    const subscription = reg && (await reg.pushManager.getSubscription());
    if (subscription) {
      await api("DELETE", "/api/me/push-subscriptions", { endpoint: subscription.endpoint }).catch(() => undefined);
      await subscription.unsubscribe().catch(() => undefined);
    }
  } finally {
    localStorage.removeItem(WANTED);
    localStorage.removeItem(PROMPT);
  }
}

function installGuide() {
  return [
    h("p", {}, t("reminders.iphone")),
    h("ol", { class: "steps" },
      h("li", {}, t("reminders.step1"), " ", h("span", { class: "share-icon", "aria-hidden": "true" }), " ", t("reminders.step1End")),
      h("li", {}, t("reminders.step2"), " ", h("strong", {}, t("reminders.step2Add")), t("reminders.step2Then"), " ", h("strong", {}, t("reminders.step2Last")), "."),
      h("li", {}, t("reminders.step3"))),
  ];
}

function later() {
  return h("button", {
    type: "button",
    class: "button button-link",
    onclick: () => { localStorage.setItem(PROMPT, "later"); set(state); },
  }, t("reminders.notNow"));
}

/** The reminders card; `prompt` is the smaller version on the day view (with "Not now"). */
export function remindersCard({ prompt = false } = {}) {
  // On the day view: only while reminders are off, and once more to confirm they went on.
  const turnedOn = message === t("reminders.turnedOn"); // the sentence said once, just after the tap
  const confirming = state === "on" && message;
  if (prompt && ((!["off", "install", "working", "error"].includes(state) && !confirming) || localStorage.getItem(PROMPT) === "later")) return null;
  const body = [];
  const status = (text) => h("p", { class: "reminder-status" }, text);
  switch (state) {
    case "unsupported":
      body.push(status(t("reminders.unsupported")));
      break;
    case "install":
      body.push(...installGuide());
      break;
    case "denied":
      body.push(status(t("reminders.blocked")), h("p", {}, t("reminders.blockedHow")));
      break;
    case "working":
      body.push(status(t("reminders.working")));
      break;
    case "on":
      body.push(status(turnedOn ? message : t("reminders.on")));
      if (!prompt) body.push(h("button", { type: "button", class: "button button-secondary", id: "reminders-off", onclick: turnOff }, t("reminders.turnOff")));
      break;
    default:
      body.push(status(prompt
        ? t("reminders.prompt")
        : t("reminders.off")),
      h("div", { class: "actions-row" },
        h("button", { type: "button", class: "button button-primary", id: "reminders-on", onclick: turnOn }, t("reminders.turnOn")),
        prompt ? later() : null));
  }
  if (message && !turnedOn) body.push(h("p", { class: "reminder-message" }, message));
  if (prompt && state === "install") body.push(later());
  return h("section", { class: ["card", "reminders", `reminders-${state}`, prompt && "reminders-prompt"], "aria-labelledby": prompt ? "reminders-prompt-heading" : "reminders-heading" },
    h("h2", { id: prompt ? "reminders-prompt-heading" : "reminders-heading" }, t("reminders.heading")),
    body);
}
