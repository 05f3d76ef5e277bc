// Adherence across the clinic: by task type and by day after treatment (server charts + tables).

import { call } from "./http.js";
import { h, replace, messageLine, pageHeading, emptyRow } from "./ui.js";
import { percent } from "./format.js";

function meter(p) {
  if (p === null || p === undefined) return h("span", { class: "muted" }, "—");
  const level = p >= 80 ? "good" : p >= 50 ? "fair" : "poor";
  return h("span", { class: "adherence" },
    h("span", { class: ["meter", `meter-${level}`], "aria-hidden": "true" }, h("span", { class: `meter-fill meter-w${Math.round(p / 10)}` })),
    h("strong", {}, percent(p)));
}

function chart(src, alt) {
  const img = h("img", { class: "chart-img", src, alt, loading: "lazy", decoding: "async" });
  img.addEventListener("error", () => img.replaceWith(h("p", { class: "muted" }, "The chart could not be loaded.")), { once: true });
  return img;
}

export function render(view) {
  const message = messageLine();
  const taskBody = h("tbody");
  const dayBody = h("tbody");
  const patients = h("span", { class: "count-text" });
  view.append(
    pageHeading("Adherence", patients,
      h("a", { class: "button", href: "/api/patients.csv", download: "" }, "Download CSV by patient")),
    h("p", { class: "muted" }, "Tasks ticked off of those due so far, for all of the clinic's patients. Day 0 is the treatment day."),
    message.el,
    h("div", { class: "grid grid-2" },
      h("section", { class: "card", "aria-labelledby": "by-task-h" },
        h("h2", { id: "by-task-h" }, "By task"),
        chart("/api/adherence/by-task.svg", "Chart of adherence by task; the same numbers are in the table below."),
        h("table", { class: "table" },
          h("caption", { class: "visually-hidden" }, "Adherence by task"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Task"), h("th", { scope: "col", class: "num" }, "Done"), h("th", { scope: "col", class: "num" }, "Due"), h("th", { scope: "col" }, "Adherence"))),
          taskBody)),
      h("section", { class: "card", "aria-labelledby": "by-day-h" },
        h("h2", { id: "by-day-h" }, "By day after treatment"),
        chart("/api/adherence/by-day.svg", "Chart of adherence by day after treatment; the same numbers are in the table below."),
        h("div", { class: "timeline" },
          h("table", { class: "table" },
            h("caption", { class: "visually-hidden" }, "Adherence by day after treatment"),
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col", class: "num" }, "Done"), h("th", { scope: "col", class: "num" }, "Due"), h("th", { scope: "col" }, "Adherence"))),
            dayBody)))));

  (async () => {
    let data;
    try {
      data = await call("GET", "/api/adherence");
    } catch (error) {
      message.error(error);
      return;
    }
    patients.textContent = `${data.patients} patient${data.patients === 1 ? "" : "s"}`;
    replace(taskBody, data.by_task.length
      ? data.by_task.map((t) => h("tr", {},
        h("th", { scope: "row" }, t.title || t.task),
        h("td", { class: "num" }, String(t.done)), h("td", { class: "num" }, String(t.due)), h("td", {}, meter(t.percent))))
      : emptyRow(4, "Nothing due yet."));
    replace(dayBody, data.by_day.length
      ? data.by_day.map((d) => h("tr", {},
        h("th", { scope: "row" }, `Day ${d.day}`),
        h("td", { class: "num" }, String(d.done)), h("td", { class: "num" }, String(d.due)), h("td", {}, meter(d.percent))))
      : emptyRow(4, "Nothing due yet."));
  })();
}
