// A report seen by the clinic: the "Mark seen" button with an optional reply for the patient,
// and, once seen, who saw it when and what they wrote back. The reply's length limit is the
// server's (500): the counter only helps; a longer one is refused with the server's sentence.

import { call } from "./http.js";
import { h, replace, field, messageLine, busy, announce } from "./ui.js";
import { dateTime } from "./format.js";

const REPLY_HINT = 500; // what the counter counts towards (the server decides)

/** An optional "Reply to the patient" box with a character counter: {el, value()}. */
export function replyField() {
  const counter = h("p", { class: "hint reply-count", "aria-live": "polite" });
  const control = h("textarea", { rows: "2", name: "reply", class: "reply-box", placeholder: "e.g. We will call you this morning." });
  const count = () => {
    const n = control.value.trim().length;
    counter.textContent = `${n} of ${REPLY_HINT} characters`;
    counter.classList.toggle("over", n > REPLY_HINT);
  };
  control.addEventListener("input", count);
  count();
  const el = field("Reply to the patient (optional)", control, {
    hint: "Shown in the patient's app and sent to their phone. Internal notes are not.",
  });
  el.append(counter);
  return { el, value: () => control.value.trim() };
}

/** The seen state of report `r`, as a line: "Seen by Nurse Patel, Fri 27 Mar 2026 12:05: …". */
function seenLine(r, zone) {
  return h("div", { class: "report-seen" },
    h("strong", {}, `Seen by ${r.seen_by_name || "the clinic"}`), `, ${dateTime(r.seen_at, zone)}`,
    r.reply ? h("p", { class: "report-reply" }, `Reply to the patient: “${r.reply}”`)
      : h("span", { class: "muted" }, " · no reply"));
}

/** The part of a report's row about it being seen: the state once seen, else the button that
 *  opens the reply box. `url`: the report's …/seen; `zone` the clinic's. */
export function reportSeen(r, { url, zone }) {
  const slot = h("div", { class: "report-seen-slot" });
  if (r.seen_at) {
    slot.append(seenLine(r, zone));
    return slot;
  }
  const open = h("button", { type: "button", class: "button button-secondary mark-seen" }, "Mark seen");
  slot.append(h("div", { class: "muted" }, "Not seen yet"), open);
  open.addEventListener("click", () => {
    const reply = replyField();
    const message = messageLine();
    const send = h("button", { type: "submit", class: "button button-primary" }, "Mark seen");
    const cancel = h("button", { type: "button", class: "button button-secondary" }, "Cancel");
    const form = h("form", { class: "mark-seen-form", novalidate: true },
      reply.el, message.el, h("div", { class: "actions" }, send, cancel));
    cancel.addEventListener("click", () => {
      replace(slot, h("div", { class: "muted" }, "Not seen yet"), open);
      open.focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(send, async () => {
        try {
          const seen = await call("POST", url, { reply: reply.value() });
          replace(slot, seenLine(seen, zone));
          announce("Marked seen. The patient's phone is told.");
        } catch (error) {
          message.error(error);
        }
      });
    });
    replace(slot, form);
    form.querySelector("textarea").focus();
  });
  return slot;
}
