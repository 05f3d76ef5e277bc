// Visits to book: the clinic's visits not booked yet, soonest first, each with a time to offer.

import { call } from "./http.js";
import { clinicZone } from "./session.js";
import { h, replace, messageLine, pageHeading, emptyRow, badge } from "./ui.js";
import { dateTime, dayHeading } from "./format.js";

const DAYS = 28;

/** The patient page's booking form for this visit. */
export function bookingHref(visit) {
  return `#/patients/${visit.patient_id}?book=${encodeURIComponent(visit.key)}`;
}

export function render(view) {
  const zone = clinicZone();
  const message = messageLine();
  const count = h("span", { class: "count-text" });
  const body = h("tbody");
  view.append(
    pageHeading("Visits to book", count),
    h("p", { class: "muted" },
      `Follow-up visits not booked yet in the next ${DAYS} days. Patients see only the day until a visit is booked, and get no reminder for it. Times in ${zone}.`),
    message.el,
    h("section", { class: "card", "aria-labelledby": "to-book-h" },
      h("h2", { id: "to-book-h", class: "visually-hidden" }, "Visits to book"),
      h("table", { class: "table" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Target day"),
          h("th", { scope: "col" }, "Patient"),
          h("th", { scope: "col" }, "Visit"),
          h("th", { scope: "col" }, "Suggested time"),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        body)));

  let alive = true;
  (async () => {
    let list;
    try {
      list = await call("GET", `/api/visits/to-book?days=${DAYS}`);
    } catch (error) {
      if (alive) message.error(error);
      return;
    }
    if (!alive) return;
    count.textContent = `${list.length} to book`;
    replace(body, list.length
      ? list.map((v) => h("tr", {},
          h("th", { scope: "row", class: "nowrap" }, dayHeading(v.target_day)),
          h("td", {}, h("a", { href: `#/patients/${v.patient_id}` }, v.patient_name)),
          h("td", {}, v.title, " ", badge("not booked", "warn")),
          h("td", { class: "nowrap" }, dateTime(v.suggested_at, zone)),
          h("td", { class: "actions-cell" },
            h("a", { class: "button button-small", href: bookingHref(v), "aria-label": `Book ${v.title} for ${v.patient_name}` }, "Book…"))))
      : emptyRow(5, `No visit to book in the next ${DAYS} days.`));
  })();
  return () => { alive = false; };
}
