// The patient list: search, sort by column, filters, pages of 50, CSV of the same selection.

import { call } from "./http.js";
import { navigate, setQuery } from "./app.js";
import { clinicZone } from "./session.js";
import { h, replace, field, checkbox, messageLine, badge, pageHeading, emptyRow, announce } from "./ui.js";
import { dateOnly, relative, dateTime, percent, humanize } from "./format.js";

const PAGE = 50;
const COLUMNS = [
  // [label, sort key or null]
  ["Name", "name"],
  ["Treatments", "last_treatment"],
  ["Adherence", "adherence"],
  ["Last activity", "last_active"],
  ["Reminders", null],
  ["Open alerts", "open_alerts"],
  ["Next follow-up", "next_follow_up"],
];
const LEVEL_RANK = { emergency: "emergency", urgent: "urgent", routine: "routine" };

function listParams(state) {
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  if (state.sort) p.set("sort", state.sort);
  if (state.reminders) p.set("reminders", state.reminders);
  if (state.alerts) p.set("alerts", state.alerts);
  return p;
}

export function render(view, { query }) {
  const state = {
    q: query.get("q") || "",
    sort: query.get("sort") || "name",
    reminders: ["on", "off", "not_getting_through"].includes(query.get("reminders")) ? query.get("reminders") : "",
    alerts: query.get("alerts") === "open" ? "open" : "",
    page: Math.max(1, Number(query.get("page")) || 1),
  };
  const search = h("input", { type: "search", value: state.q, placeholder: "Name", autocomplete: "off", "aria-keyshortcuts": "/" });
  const remindersFilter = h("select", { name: "reminders" },
    h("option", { value: "" }, "Any"),
    h("option", { value: "on", selected: state.reminders === "on" }, "On"),
    h("option", { value: "off", selected: state.reminders === "off" }, "Off (no push device)"),
    h("option", { value: "not_getting_through", selected: state.reminders === "not_getting_through" }, "Not getting through"));
  const openAlerts = checkbox("Open alerts only", { checked: state.alerts === "open" });
  const csv = h("a", { class: "button", download: "" }, "Download CSV");
  const total = h("span", { class: "count-text", role: "status" });
  const message = messageLine();
  const head = h("tr");
  const body = h("tbody");
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const table = h("table", { class: "table patients" }, h("caption", { class: "visually-hidden" }, "Patients"), h("thead", {}, head), body);

  view.append(
    pageHeading("Patients", total, h("a", { class: "button button-primary", href: "#/enrol" }, "Enrol a patient")),
    h("div", { class: "toolbar" },
      field("Search by name", search, { className: "field-inline" }),
      field("Reminders", remindersFilter, { className: "field-inline" }), openAlerts.el, h("span", { class: "spacer" }), csv),
    message.el,
    h("div", { class: "table-wrap" }, table),
    pager);

  let loads = 0;
  async function load({ speak = false } = {}) {
    const mine = ++loads;
    const params = listParams(state);
    setQuery("/patients", new URLSearchParams([...params, ...(state.page > 1 ? [["page", String(state.page)]] : [])]));
    csv.href = `/api/patients.csv${params.toString() ? `?${params}` : ""}`;
    headers();
    params.set("limit", String(PAGE));
    params.set("offset", String((state.page - 1) * PAGE));
    body.setAttribute("aria-busy", "true");
    try {
      const page = await call("GET", `/api/patients?${params}`);
      if (mine !== loads) return;
      message.clear();
      rows(page);
      const from = page.total ? page.offset + 1 : 0;
      const to = page.offset + page.items.length;
      total.textContent = page.total === 1 ? "1 patient" : `${page.total} patients`;
      pages(page, from, to);
      if (speak) announce(total.textContent);
    } catch (error) {
      if (mine === loads) message.error(error);
    } finally {
      if (mine === loads) body.removeAttribute("aria-busy");
    }
  }

  function headers() {
    replace(head, COLUMNS.map(([label, key]) => {
      if (!key) return h("th", { scope: "col" }, label);
      const active = state.sort.replace(/^-/, "") === key;
      const descending = state.sort.startsWith("-");
      const sortState = active ? (descending ? "descending" : "ascending") : null;
      const button = h("button", {
        type: "button",
        class: "sort",
        onclick: () => {
          state.sort = active && !descending ? `-${key}` : key;
          state.page = 1;
          load();
          announce(`Sorted by ${label.toLowerCase()}, ${state.sort.startsWith("-") ? "descending" : "ascending"}`);
        },
      }, label, h("span", { class: ["sort-mark", sortState && `sort-${sortState}`], "aria-hidden": "true" }));
      return h("th", { scope: "col", "aria-sort": sortState || "none" }, button);
    }));
  }

  function rows(page) {
    const zone = clinicZone();
    if (!page.items.length) {
      const filtered = state.q || state.reminders || state.alerts;
      replace(body, emptyRow(COLUMNS.length, filtered ? "No patients match this search or filter." : "No patients yet. Enrol the first one."));
      return;
    }
    replace(body, page.items.map((p) => {
      const link = h("a", { href: `#/patients/${p.id}` }, p.name);
      const tr = h("tr", { class: "clickable" },
        h("th", { scope: "row" }, link,
          p.doppler_checked === false ? h("span", { class: "tag" }, badge("no Doppler check", "warn", "The consultation check was not recorded")) : null),
        h("td", {}, treatments(p, zone)),
        h("td", {}, adherence(p.adherence)),
        h("td", { title: p.last_active_at ? dateTime(p.last_active_at, zone) : "Has not opened the app" }, relative(p.last_active_at)),
        h("td", {}, reminders(p)),
        h("td", {}, alerts(p)),
        h("td", {}, p.next_follow_up_at ? dateOnly(p.next_follow_up_at, zone) : "—"));
      // The whole row opens the patient; links and the adherence details keep their own clicks.
      tr.addEventListener("click", (event) => {
        if (event.target.closest("a, button, details, summary")) return;
        navigate(`#/patients/${p.id}`);
      });
      return tr;
    }));
  }

  function pages(page, from, to) {
    const last = Math.max(1, Math.ceil(page.total / PAGE));
    const go = (n) => { state.page = n; load({ speak: true }); };
    replace(pager,
      h("span", {}, page.total ? `Showing ${from}–${to} of ${page.total}` : ""),
      h("button", { type: "button", class: "button", disabled: state.page <= 1, onclick: () => go(state.page - 1) }, "Previous"),
      h("span", {}, `Page ${state.page} of ${last}`),
      h("button", { type: "button", class: "button", disabled: state.page >= last, onclick: () => go(state.page + 1) }, "Next"));
    pager.hidden = page.total <= PAGE && state.page === 1;
  }

  let typing = null;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.q = search.value.trim(); state.page = 1; load({ speak: true }); }, 250);
  });
  remindersFilter.addEventListener("change", () => { state.reminders = remindersFilter.value; state.page = 1; load({ speak: true }); });
  openAlerts.input.addEventListener("change", () => { state.alerts = openAlerts.input.checked ? "open" : ""; state.page = 1; load({ speak: true }); });

  // "/" jumps to the search box from anywhere on the page (not while typing in a field).
  const slash = (event) => {
    if (event.key !== "/" || event.target.closest("input, textarea, select, [contenteditable]")) return;
    event.preventDefault();
    search.focus();
  };
  document.addEventListener("keydown", slash);
  load();
  return () => {
    clearTimeout(typing);
    document.removeEventListener("keydown", slash);
  };
}

function treatments(p, zone) {
  const booking = p.booked_treatment_at ? bookingBadge(p.booked_treatment_at, zone) : null;
  if (!p.last_treatment_at) return booking || "—";
  return h("span", {}, treatmentDates(p, zone), booking ? [" ", booking] : null);
}

/** A treatment booked ahead: "booked 2 Apr", or, past its time, "to confirm" (reminders held). */
function bookingBadge(at, zone) {
  return Date.parse(at) <= Date.now()
    ? badge(`to confirm · ${dateOnly(at, zone)}`, "warn", "A booked treatment's time has passed and nobody confirmed it done: its reminders are held")
    : badge(`booked ${dateOnly(at, zone)}`, "muted", "Enrolled before the treatment: the plan starts once it is confirmed done");
}

function treatmentDates(p, zone) {
  const count = p.treatment_count || (p.first_treatment_at === p.last_treatment_at ? 1 : 2);
  if (count <= 1 || !p.first_treatment_at) return dateOnly(p.last_treatment_at, zone);
  return h("span", {}, `${dateOnly(p.first_treatment_at, zone)} – ${dateOnly(p.last_treatment_at, zone)}`,
    h("span", { class: "muted" }, ` (${count})`));
}

function adherence(a) {
  if (!a) return "—";
  if (a.percent === null || a.percent === undefined) return h("span", { class: "muted" }, "nothing due yet");
  const summary = h("span", {}, h("strong", {}, percent(a.percent)), h("span", { class: "muted" }, ` ${a.done}/${a.due}`));
  const tasks = Object.entries(a.by_task || {});
  const level = a.percent >= 80 ? "good" : a.percent >= 50 ? "fair" : "poor";
  const bar = h("span", { class: ["meter", `meter-${level}`], "aria-hidden": "true" }, h("span", { class: `meter-fill meter-w${Math.round(a.percent / 10)}` }));
  if (!tasks.length) return h("span", { class: "adherence" }, bar, summary);
  const breakdown = tasks.map(([task, n]) => `${humanize(task)}: ${n.done}/${n.due}`).join("\n");
  return h("details", { class: "adherence" },
    h("summary", { title: breakdown }, bar, summary),
    h("ul", { class: "by-task" }, tasks.map(([task, n]) => {
      const p = n.due ? Math.round((100 * n.done) / n.due) : null;
      const kind = p === null ? "good" : p >= 80 ? "good" : p >= 50 ? "fair" : "poor";
      return h("li", {}, h("span", {}, humanize(task)),
        h("span", { class: ["meter", `meter-${kind}`], "aria-hidden": "true" }, h("span", { class: `meter-fill meter-w${p === null ? 0 : Math.round(p / 10)}` })),
        h("span", { class: "muted" }, `${n.done} of ${n.due}`));
    })));
}

function reminders(p) {
  if (p.reminders_on === undefined) return "—";
  if (p.reminders_on) return badge(p.push_devices > 1 ? `on · ${p.push_devices} devices` : "on", "ok");
  return badge("off · no push device", "warn", "No live push subscription: this patient gets no reminders (e.g. an iPhone that never installed the app to the Home Screen).");
}

function alerts(p) {
  if (!p.open_alerts) return h("span", { class: "muted" }, "—");
  const level = LEVEL_RANK[p.open_alert_level] || "urgent";
  return badge(`${p.open_alerts} ${level}`, level);
}
