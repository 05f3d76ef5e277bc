// Console service worker: shows alert pushes to staff and opens the inbox when one is tapped.
// Served from /console/sw.js, so its scope is the console only. It keeps no copies of pages or
// data: patient data must not linger on a shared clinic computer.

importScripts("/js/base64url.js"); // self.base64url, shared with the pages

/** Same-origin console path from a message, or the inbox (a push must never open another site). */
function safePath(path) {
  try {
    const url = new URL(path || "/console/#/alerts", self.location.origin);
    if (url.origin !== self.location.origin || !url.pathname.startsWith("/console/")) return "/console/#/alerts";
    return url.pathname + url.search + url.hash;
  } catch {
    return "/console/#/alerts";
  }
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = {};
  }
  const note = (message && message.notification) || {};
  const emergency = message && message.level === "emergency";
  // Always show one: browsers require it for every push. The text never names the patient.
  event.waitUntil((async () => {
    await self.registration.showNotification(note.title || "Aftercare", {
      body: note.body || "A patient needs attention.",
      tag: note.tag || (message.alert_id ? `alert-${message.alert_id}` : "aftercare-alert"),
      icon: "/icons/icon-192.png",
      lang: "en",
      renotify: true,
      requireInteraction: emergency,
      data: { url: safePath(message.url), alert_id: message.alert_id || null },
    });
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) client.postMessage({ type: "alert", alert_id: message.alert_id || null });
  })());
});

self.addEventListener("notificationclick", (event) => {
  const data = event.notification.data || {};
  event.notification.close();
  event.waitUntil((async () => {
    const path = safePath(data.url);
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const mine = windows.find((client) => new URL(client.url).pathname.startsWith("/console/"));
    if (mine) {
      mine.postMessage({ type: "open", url: path });
      await mine.focus().catch(() => undefined);
      return;
    }
    await self.clients.openWindow(path);
  })());
});

// The push service replaced the subscription: hand the new one to the server (the staff cookie
// goes with it; signed out, the server refuses and alerts simply stop on this browser).
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const key = await (await fetch("/api/push/public-key", { credentials: "same-origin" })).json();
    const subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: self.base64url.toBytes(key.public_key),
    });
    await fetch("/api/staff/push-subscriptions", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(subscription.toJSON()),
    });
  })());
});
