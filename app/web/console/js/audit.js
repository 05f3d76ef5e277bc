// The audit log (admins): who saw or changed what, newest first, filtered, paged by "older".

import { call } from "./http.js";
import { setQuery } from "./app.js";
import { clinicZone } from "./session.js";
import { h, replace, field, messageLine, busy, pageHeading, emptyRow, announce } from "./ui.js";
import { dateTime } from "./format.js";

const PAGE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function detailText(detail) {
  if (!detail || typeof detail !== "object") return "";
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`)
    .join(", ");
}

export function render(view, { query }) {
  const staffSelect = h("select", { name: "staff_id" }, h("option", { value: "" }, "Anyone"));
  const action = h("input", { type: "text", name: "action", value: query.get("action") || "", placeholder: "e.g. patient.read", spellcheck: "false", autocomplete: "off" });
  const patient = h("input", { type: "text", name: "patient_id", value: query.get("patient_id") || "", placeholder: "patient id", spellcheck: "false", autocomplete: "off", class: "mono" });
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
    apply, clear);
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
    if (action.value.trim()) p.set("action", action.value.trim());
    if (patient.value.trim()) p.set("patient_id", patient.value.trim());
    return p;
  }

  async function load({ append = false } = {}) {
    const p = params();
    setQuery("/audit", p);
    if (p.get("patient_id") && !UUID.test(p.get("patient_id"))) {
      message.error("The patient id is a long code like 3f2b…-…; copy it from the patient page address.");
      patient.focus();
      return;
    }
    p.set("limit", String(PAGE));
    if (append && nextBefore !== null) p.set("before_id", String(nextBefore));
    try {
      const page = await call("GET", `/api/audit?${p}`);
      message.clear();
      const zone = clinicZone();
      const rows = page.items.map((e) => h("tr", {},
        h("td", { class: "nowrap" }, dateTime(e.created_at, zone)),
        h("td", {}, e.staff_email || "—"),
        h("td", {}, h("code", {}, e.action)),
        h("td", {}, e.patient_id ? h("a", { href: `#/patients/${e.patient_id}`, class: "mono", title: e.patient_id }, e.patient_id.slice(0, 8)) : "—"),
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
  clear.addEventListener("click", () => { staffSelect.value = ""; action.value = ""; patient.value = ""; load(); });
  older.addEventListener("click", () => busy(older, () => load({ append: true })));

  (async () => {
    try {
      const staff = await call("GET", "/api/staff");
      staffSelect.append(...staff.map((s) => h("option", { value: s.id, selected: s.id === wantedStaff }, `${s.name || s.email} (${s.email})`)));
    } catch {
      // the filter still works without names
    }
    load();
  })();
}
