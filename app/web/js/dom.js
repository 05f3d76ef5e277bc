// Building DOM from elements, never from HTML strings: server text is always set as text, never parsed as HTML.

/**
 * h("button", {class: "tick", onclick: fn, "aria-pressed": "true"}, "Done", child, ...)
 * `on<event>` keys become listeners; `false`/`null` attributes are left out; `true` sets "".
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace everything inside `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const announcer = () => document.getElementById("announce");
const alerter = () => document.getElementById("alert");

/** Say something to screen readers (polite), e.g. "Marked as done". */
export function announce(text) {
  const el = announcer();
  if (!el) return;
  // Clearing first makes the same sentence be read again when it repeats.
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 50);
}

/** Say something urgent to screen readers at once. */
export function alertNow(text) {
  const el = alerter();
  if (!el) return;
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 50);
}

/** A random UUID (crypto.randomUUID needs a secure context; fall back to getRandomValues). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** A tel: link target from a number as people write it ("+44 20 7946 0001"). */
export function telHref(number) {
  return "tel:" + String(number).replace(/[^0-9+*#]/g, "");
}
