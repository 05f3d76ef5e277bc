// Sends the outbox to the server in order, one item at a time, and retries when back online.
// Ticks and undos are idempotent on the server and reports carry a client_id, so an item sent
// twice (the answer was lost) is still stored once.

import { api, ApiError, NetworkError } from "./api.js";
import * as queue from "./queue.js";
import { uuid } from "./dom.js";

let items = [];
const sending = new Set();
const listeners = new Set();
let chain = Promise.resolve();
let retryTimer = null;
let retryDelay = 15000;
let seq = 0;

/** fn(event): {type: "changed"} | {type: "sent", item, data} | {type: "failed", item, error}
 *  | {type: "signed-out"} */
export function subscribe(fn) {
  listeners.add(fn);
}

function emit(event) {
  for (const fn of listeners) fn(event);
}

function serial(work) {
  const next = chain.then(work, work);
  chain = next.catch(() => undefined);
  return next;
}

export async function load() {
  items = await queue.all();
  emit({ type: "changed" });
  if (items.length) flush();
}

/** What is waiting to be sent (a copy). */
export function waiting() {
  return items.slice();
}

export function waitingFor(taskId) {
  return items.filter((item) => item.taskId === taskId);
}

async function add(item) {
  item.createdAt = Date.now();
  item.seq = seq++;
  items.push(item);
  await queue.put(item);
  emit({ type: "changed" });
}

async function drop(item) {
  items = items.filter((i) => i.id !== item.id);
  await queue.remove(item.id);
  emit({ type: "changed" });
}

/**
 * Tick (done=true) or undo (done=false) a task. A tick and an undo of the same task that are
 * both still waiting cancel out, so the server only ever sees the patient's final intention.
 */
export async function setDone(taskId, done) {
  const last = items.filter((i) => i.taskId === taskId).pop();
  if (last && !sending.has(last.id) && last.type === (done ? "undo" : "complete")) {
    await drop(last);
  } else {
    await add({ id: uuid(), type: done ? "complete" : "undo", taskId });
  }
  return flush();
}

/** Queue a report (`extra`: kept with it on the phone, e.g. {at}: when it was made, by the
 *  server's clock); resolves to {sent: data} or {queued: true} or {error}. */
export async function sendReport(body, extra = {}) {
  const item = { ...extra, id: uuid(), type: "report", body };
  await add(item);
  const outcomes = await flush();
  return outcomes.get(item.id) || { queued: true };
}

function request(item) {
  const path = `/api/me/tasks/${encodeURIComponent(item.taskId || "")}/complete`;
  if (item.type === "complete") return api("POST", path);
  if (item.type === "undo") return api("DELETE", path);
  return api("POST", "/api/me/reports", item.body);
}

/** Send everything that waits, in order; stops at the first network problem. */
export function flush() {
  return serial(async () => {
    const outcomes = new Map();
    while (items.length) {
      const item = items[0];
      sending.add(item.id);
      try {
        const { data } = await request(item);
        outcomes.set(item.id, { sent: data });
        await drop(item);
        emit({ type: "sent", item, data });
      } catch (error) {
        if (error instanceof NetworkError || (error instanceof ApiError && error.transient)) {
          scheduleRetry();
          break;
        }
        if (error instanceof ApiError && error.status === 401) {
          emit({ type: "signed-out" });
          break;
        }
        // The server refused this one for good (e.g. "not due yet"): tell the patient, move on.
        outcomes.set(item.id, { error });
        await drop(item);
        emit({ type: "failed", item, error });
      } finally {
        sending.delete(item.id);
      }
    }
    if (!items.length) {
      retryDelay = 15000;
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    return outcomes;
  });
}

function scheduleRetry() {
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    flush();
  }, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 5 * 60 * 1000);
}

/** Forget everything waiting (signing out of this phone). */
export async function discard() {
  items = [];
  await queue.clear();
  emit({ type: "changed" });
}

// Back online: send now, and soon again if the network is not quite there yet.
addEventListener("online", () => {
  clearTimeout(retryTimer);
  retryTimer = null;
  retryDelay = 2000;
  flush();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && items.length) flush();
});
