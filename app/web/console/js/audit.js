// The audit log (admins): who saw or changed what, newest first, by name and in words,
// filtered (a patient by part of the name), paged by "older", exported as CSV.

import { call } from "./http.js";
import { setQuery } from "./app.js";
import { clinicZone } from "./session.js";
import { h, replace, field, messageLine, busy, pageHeading, emptyRow, announce } from "./ui.js";
import { dateTime } from "./format.js";

const PAGE = 50;

function detailText(detail) {
  if (!detail || typeof detail !== "object") return "";
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`)
    .join(", ");
}

/** The patient, by name: a link to the record, or "erased" (the name went with them). */
function patientCell(entry) {
  if (!entry.patient_id) return "—";
  if (entry.patient_erased) return h("span", { class: "muted", title: entry.patient_id }, "an erased patient");
  return h("a", { href: `#/patients/${entry.patient_id}` }, entry.patient_name);
}

export function render(view, { query }) {
  const staffSelect = h("select", { name: "staff_id" }, h("option", { value: "" }, "Anyone"));
  const action = h("select", { name: "action" }, h("option", { value: "" }, "Anything"));
  const wantedAction = query.get("action") || "";
  const patient = h("input", { type: "search", name: "patient", value: query.get("patient") || "", placeholder: "part of the name", spellcheck: "false", autocomplete: "off" });
  // From a patient page's link: that patient exactly (also once erased), shown as a filter chip.
  let patientId = query.get("patient_id") || "";
  const exportLink = h("a", { class: "button", href: "/api/audit.csv", download: "" }, "Export CSV");
  const apply = h("button", { type: "submit", class: "button button-primary" }, "Filter");
  const clear = h("button", { type: "button", class: "button button-link" }, "Clear");
  const message = messageLine();
  const body = h("tbody");
  const older = h("button", { type: "button", class: "button", hidden: true }, "Older entries");
  const shown = h("span", { class: "count-text" });
  const form = h("form", { class: "toolbar", novalidate: true, role: "search" },
    field("Staff", staffSelect, { className: "field-inline" }),
    field("Action", action, { className: "field-inline" }),
    field("Patient", patient, { className: "field-inline" }),
    apply, clear, exportLink);
  view.append(
    pageHeading("Audit log", shown),
    form,
    message.el,
    h("div", { class: "table-wrap" },
      h("table", { class: "table audit" },
        h("caption", { class: "visually-hidden" }, "Audit log, newest first"),
        h("thead", {}, h("tr", {},
          ["When", "Staff", "Action", "Patient", "Detail", "Address"].map((c) => h("th", { scope: "col" }, c)))),
        body)),
    h("div", { class: "pager" }, older));

  let nextBefore = null;
  let count = 0;
  const wantedStaff = query.get("staff_id") || "";

  function params() {
    const p = new URLSearchParams();
    if (staffSelect.value) p.set("staff_id", staffSelect.value);
    if (action.value) p.set("action", action.value);
    if (patient.value.trim()) p.set("patient", patient.value.trim());
    if (patientId) p.set("patient_id", patientId);
    return p;
  }

  async function load({ append = false } = {}) {
    const p = params();
    setQuery("/audit", p);
    exportLink.href = `/api/audit.csv?${p}`;
    p.set("limit", String(PAGE));
    if (append && nextBefore !== null) p.set("before_id", String(nextBefore));
    try {
      const page = await call("GET", `/api/audit?${p}`);
      message.clear();
      const zone = clinicZone();
      const rows = page.items.map((e) => h("tr", {},
        h("td", { class: "nowrap" }, dateTime(e.created_at, zone)),
        h("td", {}, e.staff_name ? h("span", { title: e.staff_email || "" }, e.staff_name) : "—"),
        h("td", {}, e.action_label, h("div", { class: "muted" }, h("code", {}, e.action))),
        h("td", {}, patientCell(e)),
        h("td", {}, detailText(e.detail)),
        h("td", { class: "mono" }, e.ip || "")));
      if (append) body.append(...rows);
      else replace(body, rows.length ? rows : emptyRow(6, "No entries match."));
      count = (append ? count : 0) + page.items.length;
      shown.textContent = `${count} shown`;
      nextBefore = page.next_before_id;
      older.hidden = nextBefore === null || nextBefore === undefined;
      if (append) announce(`${page.items.length} older entries added.`);
    } catch (error) {
      message.error(error);
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); busy(apply, () => load()); });
  clear.addEventListener("click", () => { staffSelect.value = ""; action.value = ""; patient.value = ""; patientId = ""; load(); });
  older.addEventListener("click", () => busy(older, () => load({ append: true })));

  (async () => {
    try {
      const staff = await call("GET", "/api/staff");
      staffSelect.append(...staff.map((s) => h("option", { value: s.id, selected: s.id === wantedStaff }, `${s.name || s.email} (${s.email})`)));
    } catch {
      // the filter still works without names
    }
    try {
      const labels = await call("GET", "/api/audit/actions");
      action.append(...labels.map((a) => h("option", { value: a.action, selected: a.action === wantedAction }, a.label)));
    } catch {
      // the log still shows without the list of actions
    }
    load();
  })();
}
