// Aftercare service worker: the app opens offline, the last plan is kept, reminders are shown.
// Served from /sw.js so that its scope is the whole app.

importScripts("/js/base64url.js"); // self.base64url, shared with the pages

const VERSION = "14"; // a new shell list or changed shell files start a fresh shell cache
const SHELL_CACHE = `aftercare-shell-${VERSION}`;
const DATA_CACHE = "aftercare-data"; // the patient's last profile, plan, report form (with the
// clinic's triage rules) and previous reports: the phone triages offline from these
const SHELL = [
  "/index.html",
  "/styles.css",
  "/app.js",
  "/js/api.js",
  "/js/base64url.js",
  "/js/carers.js",
  "/js/channel.js",
  "/js/dom.js",
  "/js/enrol.js",
  "/js/i18n.js",
  "/js/myreports.js",
  "/js/pages.js",
  "/js/plan.js",
  "/js/progress.js",
  "/js/queue.js",
  "/js/reminders.js",
  "/js/report.js",
  "/js/settings.js",
  "/js/sync.js",
  "/js/time.js",
  "/js/today.js",
  "/js/triage.js",
  "/locales/en.json",
  "/locales/pl.json",
  "/manifest.webmanifest",
  "/icons/icon-192.png",
];
const SAVED_API = new Set(["/api/me", "/api/me/tasks", "/api/me/progress", "/api/me/report-form", "/api/me/reports"]);
// One saved copy each, whatever day it was asked for (the newest wins offline).
const ONE_COPY = new Set(["/api/me/tasks", "/api/me/progress"]);
const SHELL_PAGES = new Set(["/", "/index.html", "/enrol"]);
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("aftercare-shell-") && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// ---------------------------------------------------------------- fetch

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (SAVED_API.has(url.pathname)) {
    event.respondWith(fromNetworkOrSaved(request, url));
    return;
  }
  if (url.pathname.startsWith("/api/") || url.pathname === "/metrics" || url.pathname === "/sw.js") return;
  if (request.mode === "navigate") {
    event.respondWith(page(request, url));
    return;
  }
  if (SHELL.includes(url.pathname) || url.pathname.startsWith("/icons/")) event.respondWith(asset(request));
});

function soon(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("slow")), ms))]);
}

async function page(request, url) {
  const cache = await caches.open(SHELL_CACHE);
  const network = fetch(request);
  try {
    const response = await soon(network, NETWORK_WAIT_MS);
    if (response.ok && SHELL_PAGES.has(url.pathname)) await cache.put("/index.html", response.clone());
    return response;
  } catch {
    const saved = SHELL_PAGES.has(url.pathname) ? await cache.match("/index.html") : undefined;
    return saved || network; // nothing saved: wait for the network after all
  }
}

async function asset(request) {
  const cache = await caches.open(SHELL_CACHE);
  const network = fetch(request);
  try {
    const response = await soon(network, NETWORK_WAIT_MS);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch {
    return (await cache.match(request, { ignoreSearch: true })) || network;
  }
}

/** The newest answer from the server; offline, the last one saved (marked as such). */
async function fromNetworkOrSaved(request, url) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      const headers = new Headers(response.headers);
      headers.set("x-aftercare-saved-at", new Date().toISOString());
      const copy = new Response(await response.clone().blob(), { status: response.status, headers });
      if (ONE_COPY.has(url.pathname)) {
        for (const old of await cache.keys()) {
          if (new URL(old.url).pathname === url.pathname) await cache.delete(old);
        }
      }
      await cache.put(request, copy);
    } else if (response.status === 401) {
      await caches.delete(DATA_CACHE); // signed out: nothing personal stays on the phone
    }
    return response;
  } catch {
    const saved = (await cache.match(request)) || (await cache.match(request, { ignoreSearch: true }));
    if (saved) return saved;
    return new Response(JSON.stringify({ code: "offline", detail: "You are offline." }), {
      status: 503,
      headers: { "content-type": "application/json" },
    });
  }
}

// ---------------------------------------------------------------- reminders

/** Same-origin path from a message, or "/" (a push must never open another site). */
function safePath(path) {
  try {
    const url = new URL(path || "/", self.location.origin);
    return url.origin === self.location.origin ? url.pathname + url.search + url.hash : "/";
  } catch {
    return "/";
  }
}

/** The reminder's path with whose reminder it is (?for=ID, as the server also writes it): a
 *  carer's phone that helps two people shows that person first when the reminder is tapped. */
function withPatient(path, patientId) {
  if (typeof patientId !== "string" || !patientId) return path;
  const url = new URL(path, self.location.origin);
  url.searchParams.set("for", patientId);
  return url.pathname + url.search + url.hash;
}

// A task reminder's buttons: the server sends their words in the patient's language
// (app/notifications/payload.py task_actions); these English ones stand in only for a payload
// without them. DRAFT for clinical review: "Remind me in 30 minutes" (snooze.py SNOOZE).
const FALLBACK_ACTIONS = [{ action: "done", title: "Done" }, { action: "snooze", title: "Remind me in 30 minutes" }];

/** The buttons to show: the server's titles for our two actions, in their order. */
function reminderActions(sent) {
  if (!Array.isArray(sent)) return FALLBACK_ACTIONS;
  return FALLBACK_ACTIONS.map((fallback) => {
    const found = sent.find((a) => a && a.action === fallback.action && typeof a.title === "string" && a.title);
    return found ? { action: fallback.action, title: found.title } : fallback;
  });
}

/** Show the reminder a push brought. Always shows one: browsers require it for every push. */
async function showReminder(message) {
  const note = (message && message.notification) || {};
  const taskId = message && typeof message.task_id === "string" ? message.task_id : null;
  const options = {
    // The server words the reminder in the patient's language; these are for a message without.
    body: note.body || "Time for your aftercare task",
    tag: note.tag || taskId || "aftercare",
    icon: "/icons/icon-192.png",
    lang: typeof note.lang === "string" ? note.lang : "en-GB",
    data: {
      task_id: taskId,
      kind: message && message.kind,
      url: withPatient(safePath((message && message.url) || (taskId ? `/?task=${taskId}` : "/")), message && message.patient_id),
      action_token: message && message.action_token,
      receipt_token: message && typeof message.receipt_token === "string" ? message.receipt_token : null,
    },
  };
  if (message && message.kind === "task" && message.action_token && "actions" in Notification.prototype) {
    options.actions = reminderActions(message.actions);
  }
  await self.registration.showNotification(note.title || "Aftercare", options);
  await sendReceipt(options.data, "shown");
}

/** Tell the clinic a reminder was shown or tapped. Best effort: never throws, nothing queued. */
async function sendReceipt(data, event) {
  if (!data || !data.task_id || !data.receipt_token) return;
  try {
    const subscription = await self.registration.pushManager.getSubscription();
    await fetch("/api/push/receipts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        task_id: data.task_id,
        token: data.receipt_token,
        event,
        endpoint: subscription ? subscription.endpoint : null,
      }),
    });
  } catch {
    // offline or refused: the reminder was still shown; the console just will not know
  }
}

self.addEventListener("push", (event) => {
  let message;
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = {};
  }
  // "The clinic has seen your report": an open app fetches its list of reports again.
  const seen = message && message.kind === "report_seen" ? tellWindows({ type: "report-seen" }) : null;
  event.waitUntil(Promise.all([showReminder(message), seen]));
});

const ACTION_PATHS = { done: "/api/push-actions/complete", snooze: "/api/push-actions/snooze" };

/** A tap on a reminder ("" = the reminder itself, "done" = its Done button, "snooze" = its
 * "Remind me in 30 minutes" button). */
async function handleNotificationClick(notification, action) {
  const data = notification.data || {};
  notification.close();
  if (ACTION_PATHS[action] && data.task_id && data.action_token) {
    try {
      const response = await fetch(ACTION_PATHS[action], {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ task_id: data.task_id, token: data.action_token }),
      });
      if (response.ok) {
        await tellWindows({ type: "task-updated", task_id: data.task_id });
        return;
      }
    } catch {
      // offline: open the app at the task instead, where it can be ticked and queued
      // (a refused snooze, e.g. too late, opens it too: the app says why)
    }
  }
  await openApp(data.url || "/");
}

async function tellWindows(message) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) client.postMessage(message);
}

async function openApp(path) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const mine = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (mine) {
    mine.postMessage({ type: "open", url: path });
    await mine.focus().catch(() => undefined); // only allowed from a real tap
    return;
  }
  await self.clients.openWindow(path);
}

self.addEventListener("notificationclick", (event) => {
  // The receipt runs alongside: a slow one must not delay opening the app (taps expire).
  const data = event.notification.data || {};
  event.waitUntil(Promise.all([handleNotificationClick(event.notification, event.action), sendReceipt(data, "tapped")]));
});

// The push service replaced the subscription: hand the new one to the server.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const key = await (await fetch("/api/push/public-key")).json();
    const subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: self.base64url.toBytes(key.public_key),
    });
    await fetch("/api/me/push-subscriptions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(subscription.toJSON()),
    });
    if (event.oldSubscription) {
      await fetch("/api/me/push-subscriptions", {
        method: "DELETE",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ endpoint: event.oldSubscription.endpoint }),
      });
    }
  })());
});
