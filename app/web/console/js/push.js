// "Enable alerts on this browser": the console's service worker and a push subscription for staff.

import "/js/base64url.js"; // self.base64url (a classic script, so the service worker shares it)
import { call } from "./http.js";
import { h, replace, busy, messageLine } from "./ui.js";

const SW_URL = "/console/sw.js";
const SCOPE = "/console/";

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

async function registration() {
  const existing = await navigator.serviceWorker.getRegistration(SCOPE);
  if (existing) return existing;
  await navigator.serviceWorker.register(SW_URL, { scope: SCOPE });
  return navigator.serviceWorker.ready;
}

async function currentSubscription() {
  const reg = await navigator.serviceWorker.getRegistration(SCOPE);
  return reg ? reg.pushManager.getSubscription() : null;
}

/** Subscribe (asks permission: call it from a click) and register the subscription with the server. */
async function enable() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("denied");
  const reg = await registration();
  const key = await call("GET", "/api/push/public-key");
  let subscription = await reg.pushManager.getSubscription();
  if (subscription) {
    const current = subscription.options && subscription.options.applicationServerKey;
    const same = current && self.base64url.fromBytes(current) === key.public_key;
    if (!same) {
      await subscription.unsubscribe();
      subscription = null;
    }
  }
  if (!subscription) {
    subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: self.base64url.toBytes(key.public_key) });
  }
  await call("POST", "/api/staff/push-subscriptions", subscription.toJSON());
}

async function disable() {
  const subscription = await currentSubscription();
  if (!subscription) return;
  try {
    await call("DELETE", "/api/staff/push-subscriptions", { endpoint: subscription.endpoint });
  } finally {
    await subscription.unsubscribe();
  }
}

/** A small panel with the on/off button and its state. */
export function pushControl() {
  const box = h("div", { class: "push-control actions" });
  const message = messageLine();
  const wrap = h("div", {}, box, message.el);
  if (!supported()) {
    replace(box, h("span", { class: "muted" }, "This browser cannot show alert notifications."));
    return wrap;
  }
  async function show() {
    let on = false;
    try {
      on = Boolean(await currentSubscription()) && Notification.permission === "granted";
    } catch {
      on = false;
    }
    const button = h("button", { type: "button", class: "button" }, on ? "Turn off alerts on this browser" : "Enable alerts on this browser");
    button.addEventListener("click", () => busy(button, async () => {
      message.clear();
      try {
        if (on) {
          await disable();
          message.ok("This browser will no longer show alert notifications.");
        } else {
          await enable();
          message.ok("This browser will show a notification for new alerts, even when this tab is closed.");
        }
      } catch (error) {
        if (error && error.message === "denied") {
          message.error("Notifications are blocked for this site. Allow them in the browser's site settings, then try again.");
        } else message.error(error && error.status ? error : "Alerts could not be turned on in this browser.");
      }
      show();
    }));
    replace(box, button, on ? h("span", { class: "badge badge-ok" }, "notifications on") : null);
  }
  show();
  return wrap;
}

/** The worker's messages: "open" (a tapped notification) moves here, "alert" (a push came) asks now. */
export function listen(go, pushed) {
  if (!supported()) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.type === "alert") pushed();
    if (data.type === "open" && typeof data.url === "string" && data.url.startsWith("/console/")) {
      const hash = data.url.slice(data.url.indexOf("#"));
      if (hash.startsWith("#/")) go(hash);
    }
  });
}
