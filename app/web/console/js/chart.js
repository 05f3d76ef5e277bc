// Small SVG charts drawn here from numbers (elements and textContent only, never markup).

import { dateOnly } from "./format.js";

const NS = "http://www.w3.org/2000/svg";

/** svg("circle", {cx: 1}, child...) → an SVG element; strings become text nodes. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/**
 * Pain (0–10) over time: one point per report, oldest left, coloured by triage level.
 * `reports` are {created_at, pain, level}; `zone` names the dates on the time axis.
 */
export function painChart(reports, zone, { width = 560, height = 170 } = {}) {
  const points = [...reports]
    .filter((r) => Number.isFinite(r.pain))
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  const left = 28, right = 12, top = 10, bottom = 24;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const first = points.length ? Date.parse(points[0].created_at) : 0;
  const last = points.length ? Date.parse(points[points.length - 1].created_at) : 0;
  const span = Math.max(last - first, 1);
  // By time; reports within the same hour would sit on top of each other, so then by order.
  const byOrder = last - first < 3600000;
  const place = new Map(points.map((p, i) => [p, i]));
  const x = (p) => {
    if (points.length === 1) return left + plotW / 2;
    if (byOrder) return left + (place.get(p) / (points.length - 1)) * plotW;
    return left + ((Date.parse(p.created_at) - first) / span) * plotW;
  };
  const y = (pain) => top + plotH - (Math.min(10, Math.max(0, pain)) / 10) * plotH;

  const root = svg("svg", {
    class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": points.length
      ? `Pain over time: ${points.length} report${points.length === 1 ? "" : "s"}, latest ${points[points.length - 1].pain} of 10.`
      : "No reports yet.",
  });
  for (const level of [0, 5, 10]) {
    root.append(
      svg("line", { class: "grid-line", x1: left, x2: width - right, y1: y(level), y2: y(level) }),
      svg("text", { x: left - 6, y: y(level) + 3, "text-anchor": "end" }, String(level)));
  }
  root.append(svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: top + plotH }));
  root.append(svg("line", { class: "axis", x1: left, x2: width - right, y1: top + plotH, y2: top + plotH }));
  if (!points.length) {
    root.append(svg("text", { x: left + plotW / 2, y: top + plotH / 2, "text-anchor": "middle" }, "No reports yet"));
    return root;
  }
  if (points.length > 1) {
    const path = points.map((p, i) => `${i ? "L" : "M"}${x(p).toFixed(1)},${y(p.pain).toFixed(1)}`).join(" ");
    root.append(svg("path", { class: "line", d: path }));
  }
  for (const p of points) {
    const dot = svg("circle", { class: ["dot", `dot-${p.level}`].join(" "), cx: x(p), cy: y(p.pain), r: 4 });
    dot.append(svg("title", {}, `${dateOnly(p.created_at, zone)}: pain ${p.pain} (${p.level})`));
    root.append(dot);
  }
  root.append(svg("text", { x: left, y: height - 6 }, dateOnly(points[0].created_at, zone)));
  if (points.length > 1) {
    root.append(svg("text", { x: width - right, y: height - 6, "text-anchor": "end" }, dateOnly(points[points.length - 1].created_at, zone)));
  }
  return root;
}
