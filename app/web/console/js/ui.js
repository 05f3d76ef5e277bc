// Small building blocks the console pages share: fields, messages, dialogs, badges, safe SVG.

import { h, replace, announce } from "/js/dom.js";
import { problem } from "./http.js";
import { zoneNames } from "./format.js";

export { h, replace, announce };

let ids = 0;
/** A unique id for label/description wiring. */
export function uid(prefix = "f") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled control: field("Name", h("input", {...}), {hint}) → div.field. */
export function field(label, control, { hint, className } = {}) {
  if (!control.id) control.id = uid();
  let hintEl = null;
  if (hint) {
    hintEl = h("p", { class: "hint", id: uid("hint") }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
  }
  return h("div", { class: ["field", className] }, h("label", { for: control.id }, label), control, hintEl);
}

/** A checkbox with its label after it. */
export function checkbox(label, attrs = {}) {
  const input = h("input", { type: "checkbox", id: uid(), ...attrs });
  return { input, el: h("div", { class: "check" }, input, h("label", { for: input.id }, label)) };
}

/** Remove the marks markFields left in `form`. */
function unmarkFields(form) {
  if (!form) return;
  for (const note of form.querySelectorAll(".field-error")) {
    const control = form.querySelector(`[aria-describedby~="${note.id}"]`);
    if (control) {
      control.removeAttribute("aria-invalid");
      const rest = control.getAttribute("aria-describedby").split(" ").filter((id) => id !== note.id);
      if (rest.length) control.setAttribute("aria-describedby", rest.join(" "));
      else control.removeAttribute("aria-describedby");
    }
    note.remove();
  }
}

/** Put each refused field's sentence under its control (matched by `name`); how many placed. */
function markFields(form, fields) {
  let placed = 0;
  for (const { field: name, message } of fields || []) {
    const control = form && form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!control) continue;
    const note = h("p", { class: "field-error", id: uid("err") }, message);
    control.insertAdjacentElement("afterend", note);
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
    if (placed === 0) control.focus();
    placed += 1;
  }
  return placed;
}

/**
 * A message line for a form: role=alert for errors (read at once), status for success. An API
 * error naming fields marks them in the line's form, each with its sentence beside it.
 */
export function messageLine() {
  const el = h("p", { class: "message", role: "status", hidden: true });
  return {
    el,
    error(errorOrText) {
      const form = el.closest("form");
      unmarkFields(form);
      el.className = "message message-error";
      el.setAttribute("role", "alert");
      const placed = typeof errorOrText === "string" ? 0 : markFields(form, errorOrText.fields);
      el.textContent = typeof errorOrText === "string" ? errorOrText
        : placed ? (placed === 1 ? `${errorOrText.fields[0].message} (marked above)` : "Please correct the marked fields.")
          : problem(errorOrText);
      el.hidden = false;
    },
    ok(text) {
      unmarkFields(el.closest("form"));
      el.className = "message message-ok";
      el.setAttribute("role", "status");
      el.textContent = text;
      el.hidden = false;
    },
    clear() {
      unmarkFields(el.closest("form"));
      el.hidden = true;
      el.textContent = "";
    },
  };
}

/** Run `work` with `button` disabled (no double submit); returns what it returns. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/** A coloured label; `kind` picks the colour (emergency, urgent, routine, ok, warn, muted). */
export function badge(text, kind = "muted", title) {
  return h("span", { class: ["badge", `badge-${kind}`], title: title || null }, text);
}

/**
 * A modal question. confirmDialog({title, body, confirm, danger, typeToConfirm}) → true/false.
 * With `typeToConfirm`, the confirm button waits until that exact text is typed.
 */
export function confirmDialog({ title, body, confirm = "Confirm", cancel = "Cancel", danger = false, typeToConfirm = null }) {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const ok = h("button", { type: "submit", class: ["button", danger ? "button-danger" : "button-primary"], value: "ok" }, confirm);
    // cancel: null for a dialog that only tells (one button, which closes it).
    const no = cancel === null ? null : h("button", { type: "button", class: "button", onclick: () => dialog.close("cancel") }, cancel);
    let typed = null;
    if (typeToConfirm !== null) {
      typed = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
      ok.disabled = true;
      typed.addEventListener("input", () => { ok.disabled = typed.value.trim() !== typeToConfirm.trim(); });
    }
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId },
      h("form", { method: "dialog" },
        h("h2", { id: titleId }, title),
        ...(Array.isArray(body) ? body : [body]).map((p) => (typeof p === "string" ? h("p", {}, p) : p)),
        typed ? field(`Type "${typeToConfirm}" to confirm`, typed) : null,
        h("div", { class: "actions" }, no, ok)));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "ok");
    });
    document.body.append(dialog);
    dialog.showModal();
    (typed || no || ok).focus();
  });
}

/** A page heading; the router focuses it so screen readers hear where they are. */
export function pageHeading(text, ...extra) {
  return h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, text), ...extra);
}

/** An input with a searchable list of IANA zones (datalist), checked on change. */
export function zoneInput(value, attrs = {}) {
  const listId = "zone-names";
  if (!document.getElementById(listId)) {
    document.body.append(h("datalist", { id: listId }, zoneNames().map((z) => h("option", { value: z }))));
  }
  const input = h("input", { type: "text", list: listId, value, autocomplete: "off", spellcheck: "false", required: true, ...attrs });
  const known = new Set(zoneNames());
  input.addEventListener("change", () => {
    input.setCustomValidity(known.has(input.value) ? "" : "Choose a time zone from the list, e.g. Europe/London.");
  });
  return input;
}

/** A <select> of IANA zones with `value` chosen (added to the list if the browser lacks it). */
export function zoneSelect(value, attrs = {}) {
  const names = zoneNames();
  if (value && !names.includes(value)) names.unshift(value);
  return h("select", { required: true, ...attrs },
    names.map((z) => h("option", { value: z, selected: z === value }, z.replace(/_/g, " "))));
}

/**
 * Server SVG markup (a QR code) as a node, without anything active in it: parsed as an SVG
 * document (never as HTML), the root must be <svg>, and scripts, foreign objects, event
 * handlers and outside links are removed.
 */
export function safeSvg(markup) {
  if (typeof markup !== "string" || !markup) return null;
  const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== "http://www.w3.org/2000/svg" || root.localName !== "svg") return null;
  for (const bad of root.querySelectorAll("script, style, foreignObject, iframe, a, use, image, animate, set")) bad.remove();
  for (const el of [root, ...root.querySelectorAll("*")]) {
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || name === "style" || name.endsWith("href")) el.removeAttribute(attr.name);
    }
  }
  // Sized by the stylesheet: keep the drawing's own coordinates so it scales.
  const width = parseFloat(root.getAttribute("width"));
  const height = parseFloat(root.getAttribute("height"));
  if (!root.hasAttribute("viewBox") && width && height) root.setAttribute("viewBox", `0 0 ${width} ${height}`);
  root.removeAttribute("width");
  root.removeAttribute("height");
  return document.importNode(root, true);
}

/** An empty-state line inside a table body. */
export function emptyRow(columns, text) {
  return h("tr", { class: "empty" }, h("td", { colspan: String(columns) }, text));
}

/** Copy `text`; true when it worked (needs a secure context, which 127.0.0.1 and https are). */
/**
 * The new-password pair as both password forms ask it: { fields, value, problem() }, where
 * problem() says what to fix (and focuses it), or null when the two are filled in and agree.
 */
export function newPasswordFields() {
  const next = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: "12" });
  const again = h("input", { type: "password", autocomplete: "new-password", required: true });
  return {
    fields: [
      field("New password", next, { hint: "At least 12 characters. A few unrelated words work well." }),
      field("New password again", again),
    ],
    value: () => next.value,
    focus: () => next.focus(),
    problem() {
      if (!next.value) { next.focus(); return "Please type a new password."; }
      if (next.value !== again.value) { again.focus(); return "The two passwords differ."; }
      return null;
    },
  };
}

/** A read-only box with a link and a Copy button (the clipboard refused: the text is selected). */
export function copyBox(value, label) {
  const box = h("input", { type: "text", readonly: true, value, "aria-label": label, class: "link-url" });
  const copied = h("span", { class: "muted", role: "status" });
  const copy = h("button", {
    type: "button",
    class: "button",
    onclick: async () => {
      const ok = await copyText(value);
      if (!ok) box.select(); // e.g. plain http: left selected for Ctrl+C
      copied.textContent = ok ? "Copied." : "Press Ctrl+C to copy.";
      announce(copied.textContent);
    },
  }, "Copy link");
  box.addEventListener("focus", () => box.select());
  return h("div", {}, h("div", { class: "link-box" }, box, copy), copied);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A modal question that needs a reason: reasonDialog({title, body, confirm, label, missing,
 * danger}) → the reason typed (trimmed), or null if cancelled. `body`: a sentence or a list.
 */
export function reasonDialog({ title, body, confirm, label = "Reason (required)", missing = "Please give the reason.", danger = false }) {
  return new Promise((resolve) => {
    const reason = h("textarea", { rows: "3", maxlength: "500", required: true });
    const m = messageLine();
    reason.addEventListener("input", () => m.clear());
    const ok = h("button", { type: "submit", class: ["button", danger ? "button-danger" : "button-primary"] }, confirm);
    const no = h("button", { type: "button", class: "button", onclick: () => dialog.close() }, "Cancel");
    const form = h("form", { method: "dialog", novalidate: true },
      h("h2", { id: "reason-dlg-h" }, title),
      [].concat(body).map((line) => h("p", {}, line)),
      field(label, reason),
      m.el,
      h("div", { class: "actions" }, no, ok));
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "reason-dlg-h" }, form);
    let answer = null;
    form.addEventListener("submit", (event) => {
      if (!reason.value.trim()) {
        event.preventDefault();
        m.error(missing);
        reason.focus();
        return;
      }
      answer = reason.value.trim();
    });
    dialog.addEventListener("close", () => { dialog.remove(); resolve(answer); });
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}
