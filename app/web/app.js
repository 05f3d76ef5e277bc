// Aftercare, the patient's app: start-up, screens, and the glue between the small modules.

import { api, ApiError, NetworkError } from "./js/api.js";
import { carerBanner, currentPatient, switchWaitingText } from "./js/carers.js";
import { alertNow, announce, h, replace, telHref, uuid } from "./js/dom.js";
import { redeemLink } from "./js/enrol.js";
import { browserLanguage, language, plural, setLanguage, t } from "./js/i18n.js";
import * as pages from "./js/pages.js";
import { byDay, planBounds, standing } from "./js/plan.js";
import { renderMyReports, updateMyReports, waitingReports } from "./js/myreports.js";
import * as reminders from "./js/reminders.js";
import { formNumbers, formSigns, renderReportForm, renderReportResult } from "./js/report.js";
import { renderProgress } from "./js/progress.js";
import { renderSettings } from "./js/settings.js";
import * as sync from "./js/sync.js";
import { addDays, dayLong, now, relativeDay, timeOf, ymdIn } from "./js/time.js";
import { renderToday, snoozedText } from "./js/today.js";
import { triage } from "./js/triage.js";

const DAYS_BACK = 59; // with DAYS_AHEAD: 120 days, the most the server gives at once
const DAYS_AHEAD = 60;
const SLOW_REPORT_MS = 6000; // after this, answer from the phone while the report keeps trying
const FRESH_AT = "aftercare.fresh-at"; // when this phone last had the plan from the server
const CARER_PHONE = "aftercare.carer"; // "1": this phone was last a carer's (for the signed-out page)
const LANGUAGE = "aftercare.language"; // the language last shown: the first words before the profile comes
const offlineSentence = () => t("app.offline");

const state = {
  screen: "loading", // "app" once the plan is shown; "page" for whole-screen messages
  page: null,
  route: "today", // today | report | settings
  profile: null,
  occurrences: [],
  progress: null, // the server's words on where the patient is in the plan today (one day's)
  days: new Map(),
  first: null,
  last: null,
  today: null,
  selected: null,
  highlight: null,
  savedAt: null, // the plan shown is the service worker's copy from this time (offline)
  form: null, // the report form: the clinic's rules, numbers and closed periods
  reports: [], // the patient's previous reports, as the server (or the saved copy) gave them
  checkTaskId: null, // the report form was opened for this daily check
  result: null, // a report's answer being shown
  notice: "",
  loadedAt: 0,
  focusAfter: null,
  centreStrip: true,
  snoozed: new Map(), // task id → when its snoozed reminder goes out (this visit of the page)
};

const $ = (id) => document.getElementById(id);
let markStarted;
const started = new Promise((resolve) => { markStarted = resolve; }); // the plan is on screen
const zone = () => state.profile.time_zone;

// ---------------------------------------------------------------- loading

/** The profile's language, loaded before anything is drawn in it (the server's texts come in
 *  it too). A catalogue that cannot be fetched leaves the words as they were. */
async function useLanguage() {
  const wanted = (state.profile && state.profile.language) || "en";
  if (wanted !== language()) await setLanguage(wanted);
  localStorage.setItem(LANGUAGE, language());
}

async function loadProfile() {
  try {
    const { data, savedAt } = await api("GET", "/api/me");
    state.profile = data;
    state.savedAt = savedAt;
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showPage(signedOutPage());
    else if (error instanceof NetworkError) showPage(pages.offline(() => start()));
    else showPage(pages.failed(error.detail, () => start()));
    return false;
  }
}

async function loadPlan() {
  const today = ymdIn(now(), zone());
  const progressing = loadProgress(today); // with the plan, so that both are drawn at once
  try {
    const { data, savedAt } = await api("GET", `/api/me/tasks?from=${addDays(today, -DAYS_BACK)}&to=${addDays(today, DAYS_AHEAD)}`);
    state.occurrences = data;
    state.savedAt = savedAt || state.savedAt;
    if (!state.savedAt) localStorage.setItem(FRESH_AT, String(Date.now()));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showPage(signedOutPage());
      return false;
    }
    state.notice = error instanceof NetworkError
      ? t("app.planNotSaved")
      : error.detail;
  }
  await progressing;
  rebuild();
  state.loadedAt = Date.now();
  return true;
}

/** The server's progress lines for `today` (offline: the saved copy, shown only if it is of
 *  the same day: a saved "day 9" must never be shown on day 10). Never throws. */
async function loadProgress(today = ymdIn(now(), zone())) {
  try {
    const { data } = await api("GET", `/api/me/progress?date=${today}`);
    state.progress = data;
  } catch {
    // keep what we have; the section is left out when it is not today's
  }
}

// The form and the previous reports are fetched with the plan (not only when the form is
// opened), so that the service worker keeps them and the phone can triage offline.
// One load at a time: two overlapping loads (the start's and opening the form) would each
// find no form at their start and both draw it, the second under what the patient had typed.
let formLoading = null;
function loadForm() {
  if (!formLoading) formLoading = fetchForm().finally(() => { formLoading = null; });
  return formLoading;
}

async function fetchForm() {
  const had = Boolean(state.form);
  try {
    const { data } = await api("GET", "/api/me/report-form");
    state.form = data;
  } catch {
    // keep what we have (none yet: the form says it cannot be shown offline)
  }
  // Drawn again only when it was missing: never under a patient's half-filled form.
  if (!had && state.form && state.screen === "app" && state.route === "report" && !state.result) render();
}

async function loadReports() {
  try {
    const { data } = await api("GET", "/api/me/reports");
    if (Array.isArray(data)) state.reports = data;
  } catch {
    // keep what we have
  }
  redrawMyReports();
}

/** The reports in the outbox for the person shown, as "Your earlier reports" lists them. */
function myWaitingReports() {
  return waitingReports(sync.waiting(), {
    reports: state.reports, signs: formSigns(state.form), patientId: state.profile && state.profile.id,
  });
}

/** The earlier reports below the form, drawn again in place (never the form itself). */
function redrawMyReports() {
  if (state.screen === "app" && state.route === "report" && !state.result) {
    updateMyReports(state.reports, myWaitingReports(), zone(), state.today);
  }
}

/** What the phone knows of earlier reports: the server's list and those waiting to be sent
 *  (their time is when they were made), less the report `except` (its client_id). */
function reportHistory(except) {
  const known = new Set(state.reports.map((r) => r.client_id).filter(Boolean));
  const waiting = sync.waiting()
    .filter((i) => i.type === "report" && i.body.client_id !== except && !known.has(i.body.client_id))
    .map((i) => ({ created_at: i.at || i.createdAt, pain: i.body.pain }));
  return [...state.reports.filter((r) => r.client_id !== except), ...waiting];
}

/** A saved form from before the rules were sent with it: the phone cannot judge the report. */
function cannotTriage() {
  const numbers = formNumbers(state.form, state.profile);
  return {
    level: "unknown",
    // DRAFT for clinical review
    title: t("app.cannotTriageTitle"),
    // DRAFT for clinical review
    advice: t("app.cannotTriageAdvice", { emergency_number: numbers.emergency_number }),
    call_number: numbers.clinic_phone || null,
    call_label: numbers.clinic_phone ? t("app.callClinic") : null,
    reasons: [],
    note_signs: [],
  };
}

/** The phone's own answer, from the saved rules (the server's replaces it once sent). */
function answerOnPhone(fields, clientId) {
  const form = state.form;
  if (!form || !form.rules) return cannotTriage();
  return triage(form.rules, {
    pain: fields.pain,
    signs: fields.signs,
    note: fields.note,
    history: reportHistory(clientId),
    now: now(),
    numbers: formNumbers(form, state.profile),
    closedPeriods: form.closed_periods || [],
  });
}

function rebuild() {
  state.today = ymdIn(now(), zone());
  const { first, last } = planBounds(state.occurrences);
  state.first = first && first < state.today ? first : state.today;
  state.last = last && last > state.today ? last : state.today;
  if (!state.selected || state.selected < state.first || state.selected > state.last) state.selected = state.today;
  state.days = byDay(state.occurrences, zone(), addDays(state.today, -DAYS_BACK), addDays(state.today, DAYS_AHEAD));
}

async function refresh() {
  if (state.screen !== "app") return;
  state.savedAt = null;
  const before = state.today;
  const helping = state.profile && state.profile.carer ? state.profile.carer.current : null;
  if (!(await loadProfileQuietly())) return;
  await useLanguage();
  // A carer's phone whose person changed meanwhile (they removed this carer): start afresh.
  const helpingNow = state.profile.carer ? state.profile.carer.current : null;
  if (helping && helpingNow !== helping) forgetPatient();
  if (!(await loadPlan())) return;
  await Promise.all([loadForm(), loadReports()]);
  if (before && state.today !== before && state.selected === before) state.selected = state.today;
  sync.flush();
  retryWhileOffline();
  if (state.route === "today") render();
  else updateChrome();
}

// While the plan shown is the saved copy, look for the server again now and then.
let offlineTimer = null;
let offlineDelay = 5000;
function retryWhileOffline() {
  clearTimeout(offlineTimer);
  if (!state.savedAt) {
    offlineDelay = 5000;
    return;
  }
  offlineTimer = setTimeout(refresh, offlineDelay);
  offlineDelay = Math.min(offlineDelay * 2, 120000);
}

async function loadProfileQuietly() {
  try {
    const { data, savedAt } = await api("GET", "/api/me");
    state.profile = data;
    state.savedAt = savedAt;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showPage(signedOutPage());
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------- a carer's phone

/** The page for a phone without a session: a carer's says so in a carer's words. */
function signedOutPage() {
  return localStorage.getItem(CARER_PHONE) === "1" ? pages.carerSignedOut() : pages.signedOut();
}

/** What was shown for one person: gone before another person's plan is loaded. */
function forgetPatient() {
  state.occurrences = [];
  state.progress = null;
  state.reports = [];
  // Today, not nothing: a render may come before the new person's plan has loaded.
  state.selected = state.today;
  state.highlight = null;
  state.result = null;
  state.checkTaskId = null;
  state.snoozed = new Map();
}

/** A carer's phone shows another person it helps: the server's answer, then their plan,
 *  report form and reports, and the current screen again. → error sentence or null. */
async function switchTo(patient) {
  const carer = state.profile && state.profile.carer;
  if (!carer) return null;
  if (sync.waiting().length) {
    // Ticks wait for the person shown now: sent first, or the switch waits.
    await sync.flush();
    if (sync.waiting().length) return switchWaitingText(carer);
  }
  try {
    const { data } = await api("POST", "/api/me/switch", { patient_id: patient.id });
    state.profile = data;
    await useLanguage();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showPage(signedOutPage());
      return null;
    }
    if (error instanceof NetworkError) return offlineSentence();
    // No longer helping them: the banner learns who is left.
    if (error instanceof ApiError && error.status === 404) await loadProfileQuietly();
    return error.detail || t("app.failed");
  }
  forgetPatient();
  if (!(await loadPlan())) return null;
  await Promise.all([loadForm(), loadReports()]);
  if (state.route === "report") state.checkTaskId = null;
  render({ moveFocus: true });
  const shown = currentPatient(state.profile.carer);
  if (shown) announce(t("app.helping", { name: shown.name }));
  return null;
}

/** Opened from a reminder for someone else this carer helps: show that person first. */
async function showPatientOf(patientId) {
  const carer = state.profile && state.profile.carer;
  if (!carer || !patientId || carer.current === patientId) return;
  const patient = carer.patients.find((p) => p.id === patientId);
  if (patient) await switchTo(patient);
}

// ---------------------------------------------------------------- screens

function showPage(page) {
  state.screen = "page";
  state.page = page;
  render({ moveFocus: true });
}

function routeFromHash() {
  const [name, query] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query || "");
  if (name === "report") return { route: "report", task: params.get("task") };
  if (name === "settings") return { route: "settings" };
  return { route: "today" };
}

function onHashChange() {
  if (state.screen !== "app") return;
  const { route, task } = routeFromHash();
  if (route !== state.route) state.notice = ""; // said on the screen it was about
  state.route = route;
  state.result = null;
  state.checkTaskId = route === "report" ? task : null;
  if (route === "report" && !state.form) loadForm();
  if (route === "report") loadReports(); // whether the clinic has seen one since
  render({ moveFocus: true });
}

function go(hash) {
  if (location.hash === hash) onHashChange();
  else location.hash = hash;
}

/** A reminder or link asked for one task: show its day and point at it. */
function openTask(id) {
  const o = state.occurrences.find((x) => x.id === id);
  if (!o) {
    go("#today");
    return;
  }
  const st = standing(o, sync.waitingFor(o.id), now());
  if (o.task === "symptom_check" && st.status !== "done") {
    go(`#report?task=${encodeURIComponent(id)}`);
    return;
  }
  state.selected = o.local_due.slice(0, 10);
  state.highlight = id;
  state.centreStrip = true;
  state.route = "today";
  state.result = null;
  // No hashchange (it would move focus to the heading): straight to the task instead.
  if (location.hash) history.pushState(null, "", "/");
  render();
  const item = $(`task-${id}`);
  if (item) {
    item.scrollIntoView({ block: "center" });
    item.focus({ preventScroll: true });
  }
}

/** The Report tab at the earlier reports (a "seen" push was tapped), fetched afresh. */
function showMyReports() {
  go("#report");
  // After both: a form arriving later draws the tab again, which would scroll it back up.
  Promise.all([loadForm(), loadReports()]).then(() => {
    const list = $("my-reports");
    if (list && state.route === "report") list.scrollIntoView({ block: "start" });
  });
}

/** ?task=ID, ?report=1, ?reports=1 (a "seen" push) and ?for=ID (from reminders; the last on a carer's phone: whose
 *  reminder it was): take them out of the address bar, return them. */
function takeDeepLink() {
  const params = new URLSearchParams(location.search);
  const link = {
    task: params.get("task"), report: params.get("report"), reports: params.get("reports"), patient: params.get("for"),
  };
  if (location.search) history.replaceState(null, "", `/${location.hash}`);
  return link;
}

// ---------------------------------------------------------------- actions

async function toggle(o, done) {
  state.focusAfter = `tick-${o.id}`;
  announce(t(done ? "app.doneTask" : "app.notDoneTask", { title: o.title }));
  await sync.setDone(o.id, done);
}

/** "Remind me in 30 minutes": needs the server (the reminder is sent from there), so offline
 * it says so rather than queueing a snooze that might arrive after the reminder was due. */
async function snooze(o) {
  state.focusAfter = `snooze-${o.id}`;
  try {
    const { data } = await api("POST", `/api/me/tasks/${encodeURIComponent(o.id)}/snooze`);
    state.snoozed.set(o.id, data.remind_at);
    const text = snoozedText(data.remind_at, zone());
    announce(text);
    setNotice(text);
    render();
  } catch (error) {
    if (error instanceof NetworkError) {
      // DRAFT for clinical review
      setNotice(t("app.snoozeOffline"));
    } else if (error instanceof ApiError) {
      setNotice(error.detail);
    } else {
      throw error;
    }
  }
}

async function submitReport(fields) {
  // for_patient: a report that waits offline on a carer's phone is refused, not filed on the
  // wrong person, if the phone shows someone else by the time it is sent (hazard H34).
  const body = { client_id: uuid(), for_patient: state.profile.id, ...fields };
  const slow = new Promise((resolve) => setTimeout(() => resolve({ queued: true }), SLOW_REPORT_MS));
  // Kept with it on the phone: whom it is for (a carer's phone lists it for that person only)
  // and the signs as the form named them (the list shows them while it waits).
  const labels = new Map(formSigns(state.form).map((s) => [s.code, s.label]));
  const extra = { at: now(), patient: state.profile.id, signLabels: fields.signs.map((code) => labels.get(code) || code) };
  const outcome = await Promise.race([sync.sendReport(body, extra), slow]);
  if (outcome.error) return outcome;
  const result = outcome.sent
    ? outcome.sent
    : { ...answerOnPhone(fields, body.client_id), queued: true, client_id: body.client_id };
  const check = checkTask();
  if (check && checkReady(check)) sync.setDone(check.id, true); // the daily check is done
  showResult(result);
  return null;
}

function showResult(result) {
  state.result = result;
  render({ moveFocus: true });
  if (result.level !== "routine") alertNow(`${result.title}. ${result.call_label || ""}`);
}

function checkTask() {
  return state.checkTaskId ? state.occurrences.find((o) => o.id === state.checkTaskId) || null : null;
}

/** The daily check can be ticked now (not done, and not more than 2 hours ahead). */
function checkReady(task) {
  const st = standing(task, sync.waitingFor(task.id), now());
  return st.status !== "done" && st.status !== "ended" && st.timing !== "later";
}

async function allWell(task) {
  state.checkTaskId = null;
  announce(t("app.checkDone"));
  go("#today");
  await sync.setDone(task.id, true);
}

async function savePreferences(changes) {
  try {
    const { data } = await api("PATCH", "/api/me/preferences", changes);
    state.profile = data;
    await useLanguage();
    await loadPlan();
    // A new language: the server's texts (the form's signs and advice, the reports) come in it.
    if ("language" in changes) {
      await Promise.all([loadForm(), loadReports()]);
      // The whole screen again, in the new words; the choice keeps the focus.
      state.focusAfter = "language";
      render();
      announce(t("settings.languageSaved"));
    }
    updateChrome();
    return null;
  } catch (error) {
    if (error instanceof NetworkError) return { detail: offlineSentence(), fields: [] };
    return { detail: error.detail, fields: error.fields || [] };
  }
}

async function chooseChannel(choice) {
  try {
    const { data } = await api("PUT", "/api/me/reminder-channel", choice);
    state.profile = data;
    return null;
  } catch (error) {
    if (error instanceof NetworkError) return offlineSentence();
    return error.detail;
  }
}

async function signOut() {
  const waiting = sync.waiting().length;
  const question = t(waiting ? "app.signOutQuestionWaiting" : "app.signOutQuestion");
  if (!confirm(question)) return;
  await reminders.forget();
  try {
    await api("POST", "/api/me/logout");
  } catch (error) {
    if (error instanceof NetworkError) {
      setNotice(offlineSentence());
      return;
    }
  }
  await sync.discard();
  if ("caches" in window) await caches.delete("aftercare-data");
  localStorage.removeItem(CARER_PHONE);
  state.profile = null;
  state.occurrences = [];
  state.form = null;
  state.reports = [];
  showPage(pages.signedOut());
}

/** A sentence at the top of the screen, kept until the patient moves to another screen (one
 *  that vanished by itself would make the page jump under their finger); drawn in the view,
 *  not the header, so a notice there from the start (the welcome) moves nothing down. */
function setNotice(text) {
  state.notice = text;
  if (text) announce(text);
  if (state.screen === "app") render();
}

function noticeLine() {
  return state.notice ? h("p", { id: "notice", class: "banner banner-sync notice" }, state.notice) : null;
}

// ---------------------------------------------------------------- events

function onSync(event) {
  if (event.type === "sent" && (event.item.type === "complete" || event.item.type === "undo") && event.data) {
    state.occurrences = state.occurrences.map((o) => (o.id === event.data.id ? event.data : o));
    rebuild();
    // The week's count is the server's: asked again, then drawn when it comes.
    loadProgress().then(() => { if (state.screen === "app" && state.route === "today") render(); });
  }
  if (event.type === "sent" && event.item.type === "report" && event.data) {
    state.reports = [event.data, ...state.reports.filter((r) => r.client_id !== event.data.client_id)];
    loadReports(); // and the saved copy learns it too
  }
  // The outbox changed (a report queued, sent or refused): its waiting cards drawn again, the
  // sent one now the server's card, with the advice the server gave.
  if (event.type === "changed" || (event.type === "sent" && event.item.type === "report")) redrawMyReports();
  if (event.type === "sent" && event.item.type === "report" && state.result && state.result.queued
      && state.result.client_id === event.data.client_id && state.route === "report") {
    state.result = event.data; // the clinic's own answer replaces the phone's
    render();
    return;
  }
  if (event.type === "failed") {
    setNotice(event.error.detail);
    // On a carer's phone a refused tick can mean the person shown has removed this carer
    // meanwhile: the profile says whom this phone shows now.
    if (state.profile && state.profile.carer) refresh();
  }
  if (event.type === "signed-out") {
    showPage(signedOutPage());
    return;
  }
  // Everything sent: a carer's "still waiting, switch once online" no longer holds.
  const switchStatus = $("switch-status");
  if (event.type === "sent" && !sync.waiting().length && switchStatus) switchStatus.textContent = "";
  if (state.screen === "app" && state.route === "today") render();
  else updateChrome();
}

function onWorkerMessage(event) {
  const message = event.data || {};
  if (message.type === "task-updated") refresh();
  if (message.type === "report-seen") loadReports(); // the clinic has seen a report
  if (message.type === "open" && typeof message.url === "string" && state.screen === "app") {
    const url = new URL(message.url, location.origin);
    const task = url.searchParams.get("task");
    const first = showPatientOf(url.searchParams.get("for"));
    if (task) first.then(refresh).then(() => openTask(task));
    else if (url.searchParams.get("report")) first.then(() => go("#report"));
    else if (url.searchParams.get("reports")) first.then(() => showMyReports());
  }
}

function onRemindersChange() {
  const slot = $("reminders-slot");
  if (!slot) return;
  const hadFocus = slot.contains(document.activeElement);
  replace(slot, reminders.remindersCard({ prompt: slot.dataset.prompt === "1" }));
  if (hadFocus && !slot.contains(document.activeElement)) {
    const heading = slot.querySelector("h2") || $("view-heading");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }
  const status = slot.querySelector(".reminder-message") || slot.querySelector(".reminder-status");
  if (status) announce(status.textContent);
}

function remindersSlot(prompt) {
  return h("div", { id: "reminders-slot", "data-prompt": prompt ? "1" : "0" }, reminders.remindersCard({ prompt }));
}

// ---------------------------------------------------------------- drawing

function content() {
  if (state.route === "report") {
    if (state.result) return renderReportResult(state.result, { onDone: () => { state.result = null; go("#today"); } });
    const check = checkTask();
    return [
      renderReportForm({
        form: state.form,
        profile: state.profile,
        checkTask: check,
        checkReady: check ? checkReady(check) : false,
        onSubmit: submitReport,
        onAllWell: allWell,
      }),
      renderMyReports(state.reports, myWaitingReports(), zone(), state.today),
    ];
  }
  if (state.route === "settings") {
    return renderSettings({
      profile: state.profile, onSave: savePreferences, onChooseChannel: chooseChannel, onSignOut: signOut,
      reminders: remindersSlot(false),
    });
  }
  const progress = state.progress && state.progress.date === state.today && state.selected === state.today
    ? renderProgress(state.progress)
    : null;
  return [renderToday({
    profile: state.profile,
    zone: zone(),
    today: state.today,
    selected: state.selected,
    first: state.first,
    last: state.last,
    days: state.days,
    waiting: sync.waiting(),
    now: now(),
    highlight: state.highlight,
    remindersPrompt: remindersSlot(true),
    onSelectDay: (ymd) => {
      state.selected = ymd;
      state.highlight = null;
      state.centreStrip = true;
      state.focusAfter = `day-${ymd}`;
      render();
      const rel = relativeDay(ymd, state.today);
      announce(rel ? t("time.relDay", { rel, day: dayLong(ymd) }) : dayLong(ymd));
    },
    onToggle: toggle,
    onSnooze: snooze,
    snoozed: state.snoozed,
  }), progress]; // last on the screen: nothing below it moves when its words change
}

function render({ moveFocus = false } = {}) {
  const view = $("view");
  const active = document.activeElement && document.activeElement.id;
  const openDetails = [...view.querySelectorAll("details[open]")].map((d) => d.id).filter(Boolean);
  const oldStrip = view.querySelector(".strip-days");
  const stripLeft = oldStrip ? oldStrip.scrollLeft : 0;

  replace(view, state.screen === "app" ? [noticeLine(), content()] : state.page || []);
  for (const id of openDetails) {
    const d = $(id);
    if (d) d.open = true;
  }
  const level = state.screen === "app" && state.route === "report" && state.result ? state.result.level : null;
  document.body.classList.toggle("screen-emergency", level === "emergency");
  document.body.classList.toggle("screen-urgent", level === "urgent");
  updateChrome();

  const strip = view.querySelector(".strip-days");
  if (strip) {
    const chosen = $(`day-${state.selected}`);
    if (state.centreStrip && chosen) strip.scrollLeft = chosen.offsetLeft - (strip.clientWidth - chosen.offsetWidth) / 2;
    else strip.scrollLeft = stripLeft;
    state.centreStrip = false;
  }

  const wanted = state.focusAfter || active;
  state.focusAfter = null;
  if (moveFocus) {
    window.scrollTo({ top: 0, behavior: "instant" });
    const heading = $("view-heading");
    if (heading) heading.focus({ preventScroll: true });
  } else if (wanted && $(wanted) && document.activeElement !== $(wanted)) {
    $(wanted).focus({ preventScroll: true });
  }
}

function updateChrome() {
  const inApp = state.screen === "app" && state.profile;
  const tabs = $("tabs");
  tabs.hidden = !inApp;
  for (const tab of tabs.querySelectorAll("a[data-route]")) {
    if (tab.dataset.route === state.route) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  const clinic = state.profile && state.profile.clinic;
  $("clinic-name").textContent = inApp && clinic ? clinic.name : "";
  const call = $("call-clinic");
  call.hidden = !(inApp && clinic && clinic.phone);
  if (!call.hidden) {
    call.href = telHref(clinic.phone);
    // The visible words first (as the button shows them), then whom and which number.
    const words = `${t("header.call")}${t("header.callWord")}`;
    call.setAttribute("aria-label", t("app.callClinicLabel", { call: words, name: clinic.name, phone: clinic.phone }));
  }

  drawCarerBar(inApp ? state.profile : null);

  const connection = $("connection");
  const offline = inApp && (state.savedAt || !navigator.onLine);
  connection.hidden = !offline;
  if (offline) {
    connection.textContent = state.savedAt
      ? t("app.offlineSaved", { when: savedWhen(state.savedAt) })
      : t("app.offlineTicks");
  }

  const waiting = sync.waiting();
  const ticks = waiting.filter((i) => i.type !== "report").length;
  const reports = waiting.length - ticks;
  const banner = $("sync");
  banner.hidden = !(inApp && ticks + reports);
  const tickWords = plural("app.ticks", ticks);
  const reportWords = plural("app.reports", reports);
  let text = "";
  if (ticks && reports) text = t("app.waitingBoth", { ticks: tickWords, reports: reportWords });
  else if (ticks + reports) text = t(ticks + reports > 1 ? "app.waitingMany" : "app.waitingOne", { what: ticks ? tickWords : reportWords });
  banner.textContent = text;
}

let carerBarKey = "";
/** The banner on a carer's phone: drawn again only when who is shown (or helped) changes,
 *  so that a button being used keeps its focus. */
function drawCarerBar(profile) {
  const bar = $("carer-bar");
  if (!bar) return;
  const carer = profile ? profile.carer : null;
  if (carer) localStorage.setItem(CARER_PHONE, "1");
  else if (profile) localStorage.removeItem(CARER_PHONE);
  const key = carer ? JSON.stringify([carer.current, carer.patients]) : "";
  if (key === carerBarKey) return;
  carerBarKey = key;
  const banner = carer ? carerBanner(carer, switchTo) : null;
  replace(bar, banner);
  bar.hidden = !banner;
  document.body.classList.toggle("is-carer", Boolean(banner));
}

function savedWhen(iso) {
  const at = Number(localStorage.getItem(FRESH_AT)) || Date.parse(iso);
  if (Number.isNaN(at) || !state.profile) return t("app.savedEarlier");
  const day = ymdIn(at, zone());
  const rel = relativeDay(day, ymdIn(now(), zone()));
  return t("app.savedAt", { day: rel ? rel.toLowerCase() : t("time.onDay", { day: dayLong(day) }), time: timeOf(at, zone()) });
}

// ---------------------------------------------------------------- start

async function start(link = {}) {
  if (!state.profile && !(await loadProfile())) return;
  await useLanguage();
  // Opened from a reminder for another person this carer helps: that person first, once
  // the ticks still waiting for the person shown are sent (they are that person's).
  const carer = state.profile.carer;
  if (link.patient && carer && carer.current !== link.patient && carer.patients.some((p) => p.id === link.patient)) {
    await sync.load();
    if (sync.waiting().length) await sync.flush();
    if (sync.waiting().length) state.notice = switchWaitingText(carer);
    else {
      try {
        const { data } = await api("POST", "/api/me/switch", { patient_id: link.patient });
        state.profile = data;
      } catch {
        // offline or no longer helping them: carry on with the person shown
      }
    }
  }
  if (!(await loadPlan())) return;
  await sync.load();
  state.screen = "app";
  const { route, task } = routeFromHash();
  state.route = route;
  state.checkTaskId = route === "report" ? task : null;
  render();
  if (link.task) openTask(link.task);
  else if (link.report) go("#report");
  else if (link.reports) showMyReports();
  loadForm();
  loadReports();
  reminders.check();
  retryWhileOffline();
  markStarted();
}

async function boot() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
    navigator.serviceWorker.addEventListener("message", onWorkerMessage);
    // On the very first visit the plan was fetched before the worker could keep a copy:
    // fetch it again through the worker so that it opens offline from now on.
    if (!navigator.serviceWorker.controller) {
      navigator.serviceWorker.addEventListener("controllerchange", () => started.then(refresh), { once: true });
    }
  }
  sync.subscribe(onSync);
  reminders.onChange(onRemindersChange);
  addEventListener("hashchange", onHashChange);
  addEventListener("online", () => {
    offlineDelay = 2000;
    refresh();
  });
  addEventListener("offline", () => updateChrome());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && Date.now() - state.loadedAt > 60000) refresh();
  });
  // Time moves on: "coming up" becomes "now", then "missed"; a new day starts.
  setInterval(() => {
    if (state.screen !== "app") return;
    if (ymdIn(now(), zone()) !== state.today) refresh();
    else if (state.route === "today") render();
  }, 60000);

  // The words before any screen (even "offline") is drawn; the worker is registered first so
  // that it starts as early as it always did.
  await setLanguage(localStorage.getItem(LANGUAGE) || browserLanguage());
  const link = takeDeepLink();
  if (location.pathname === "/enrol") {
    showPage(pages.enrolling());
    const outcome = await redeemLink();
    if (outcome.kind === "refused") {
      const setUp = await api("GET", "/api/me").then(() => true, () => false);
      showPage(pages.linkRefused(outcome.detail, setUp, () => start()));
      return;
    }
    if (outcome.kind === "offline") {
      showPage(pages.messagePage(t("app.enrolOfflineTitle"), [t("app.enrolOffline1"), t("app.enrolOffline2")]));
      return;
    }
    if (outcome.kind === "ok") {
      state.profile = outcome.profile;
      await useLanguage();
      const helped = currentPatient(outcome.profile.carer);
      // DRAFT for clinical review: the carer's sentence.
      state.notice = helped
        ? t("app.setUpCarer", { name: helped.name })
        : t("app.setUp");
    }
  }
  await start(link);
  if (state.notice) announce(state.notice); // drawn with the first screen: say it too
}

boot();
