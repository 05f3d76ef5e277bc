// Open alerts, polled every 5 s while the tab is visible: the nav badge on every page,
// a spoken note for each new alert, and the inbox page's live list.

import { call } from "./http.js";
import { alertNow } from "/js/dom.js";

const EVERY_MS = 5000;
let timer = null;
let running = false;
let known = null; // ids already seen (null before the first answer: nothing is "new" then)
let latest = [];
const listeners = new Set();

/** fn(alerts, newOnes) after every answer; returns a function that stops listening. */
export function onAlerts(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function openAlerts() {
  return latest;
}

let spoken = null; // the open count last said in the live region
let pageTitle = document.title; // the page's own title, without the count in front
const SOUND_KEY = "console.alertSound"; // this browser's choice (Settings), "on" or absent

/** The tab's title: "(2) Alerts · Aftercare console" while alerts are open, seen from any tab. */
export function setTitle(text) {
  pageTitle = text;
  document.title = latest.length ? `(${latest.length}) ${text}` : text;
}

export function soundOn() {
  return localStorage.getItem(SOUND_KEY) === "on";
}

export function setSound(on) {
  if (on) localStorage.setItem(SOUND_KEY, "on");
  else localStorage.removeItem(SOUND_KEY);
}

/** Two short tones (Web Audio: no file to fetch); silent where the browser has not allowed
 * sound yet, which it does after the first click on the page. */
export function chime() {
  try {
    const audio = new AudioContext();
    for (const [at, hz] of [[0, 880], [0.22, 660]]) {
      const tone = audio.createOscillator();
      const level = audio.createGain();
      tone.frequency.value = hz;
      level.gain.setValueAtTime(0.2, audio.currentTime + at);
      level.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.2);
      tone.connect(level).connect(audio.destination);
      tone.start(audio.currentTime + at);
      tone.stop(audio.currentTime + at + 0.2);
    }
    setTimeout(() => audio.close(), 800);
  } catch {
    // no Web Audio: the title, the badge and the spoken note still tell
  }
}

function badge(alerts) {
  const live = document.getElementById("alert-status");
  if (live && running && spoken !== alerts.length) {
    // Said when the count changes (not on every poll); the first answer sets it quietly.
    if (spoken !== null) live.textContent = alerts.length === 1 ? "1 open alert" : `${alerts.length} open alerts`;
    spoken = alerts.length;
  }
  const count = document.getElementById("alert-count");
  const link = document.getElementById("nav-alerts");
  if (!count || !link) return;
  const emergency = alerts.some((a) => a.level === "emergency");
  count.textContent = String(alerts.length);
  count.hidden = alerts.length === 0;
  count.className = emergency ? "count count-emergency" : "count";
  link.setAttribute("aria-label", alerts.length ? `Alerts, ${alerts.length} open` : "Alerts");
}

/** Ask now (also what the timer does); the inbox calls it after acknowledging. */
export async function refresh() {
  if (!running) return;
  let alerts;
  try {
    alerts = await call("GET", "/api/alerts?status=open");
  } catch {
    return; // a missed poll is retried by the next one; a lapsed session stops the watch
  }
  if (!running) return;
  const fresh = known ? alerts.filter((a) => !known.has(a.id)) : [];
  known = new Set(alerts.map((a) => a.id));
  latest = alerts;
  badge(alerts);
  setTitle(pageTitle);
  if (fresh.length && soundOn()) chime();
  if (fresh.length) {
    const first = fresh[0];
    alertNow(fresh.length === 1
      ? `New ${first.level} alert: ${first.patient_name}`
      : `${fresh.length} new alerts, the first ${first.level}: ${first.patient_name}`);
  }
  for (const fn of listeners) fn(alerts, fresh);
}

function schedule() {
  clearTimeout(timer);
  if (!running || document.visibilityState === "hidden") return; // paused until visible again
  timer = setTimeout(async () => {
    await refresh();
    schedule();
  }, EVERY_MS);
}

function visibility() {
  if (document.visibilityState === "visible" && running) refresh().then(schedule);
  else clearTimeout(timer);
}

export function start() {
  if (running) return;
  running = true;
  known = null;
  document.addEventListener("visibilitychange", visibility);
  refresh().then(schedule);
}

export function stop() {
  running = false;
  clearTimeout(timer);
  known = null;
  latest = [];
  spoken = null;
  document.removeEventListener("visibilitychange", visibility);
  badge([]);
  setTitle(pageTitle); // signed out: no count in the title
}
