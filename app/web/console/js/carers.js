// The patient page's Carers card: who helps the patient on their own phone (issue 17 item 6),
// whether their phone gets the patient's reminders and is signed in, who invited them; staff
// invite a carer (a one-time link and QR code, as the patient's own), issue a new link, turn
// reminders on or off, and remove a carer. Every change is audited by the server.

import { call } from "./http.js";
import { clinicZone } from "./session.js";
import { linkPanel } from "./linkcard.js";
import { h, replace, field, checkbox, messageLine, busy, badge, confirmDialog, announce } from "./ui.js";
import { dateOnly } from "./format.js";

const LINK = {
  active: ["link not used yet", "warn"],
  used: ["phone signed in", "ok"],
  expired: ["link expired", "warn"],
  revoked: ["link stopped", "muted"],
};

/** "by Anna (carer)": who did it, when a carer did (completed_by / reported_by). */
export function byCarer(name) {
  return name ? `by ${name} (carer)` : "";
}

/** The card in `section` for the patient at `base` (/api/patients/{id}); → reload(). */
export function carersCard(section, { base, patientName }) {
  let carers = [];
  let fresh = null; // {carer, enrolment}: the link just made, shown until the card is left
  const message = messageLine();

  async function load() {
    try {
      carers = await call("GET", `${base}/carers`);
    } catch (error) {
      const m = messageLine();
      m.error(error);
      replace(section, h("h2", { id: "carers-h" }, "Carers"), m.el);
      return;
    }
    draw();
  }

  function phoneBadge(c) {
    if (c.joined_at) return badge("phone signed in", "ok", `Since ${dateOnly(c.joined_at, clinicZone())}`);
    const [label, kind] = LINK[c.enrolment] || [c.enrolment, "muted"];
    return badge(label, kind);
  }

  function row(c) {
    const zone = clinicZone();
    const m = messageLine();
    const reminders = checkbox("Gets the patient's reminders", { checked: c.reminders, name: `reminders-${c.id}` });
    reminders.input.addEventListener("change", async () => {
      const wanted = reminders.input.checked;
      reminders.input.disabled = true;
      try {
        const saved = await call("PATCH", `${base}/carers/${c.id}`, { reminders: wanted });
        carers = carers.map((x) => (x.id === c.id ? { ...x, ...saved } : x));
        draw();
        const again = section.querySelector(`[name="reminders-${c.id}"]`);
        if (again) again.focus();
        announce(wanted ? `${c.name} now gets the reminders.` : `${c.name} no longer gets the reminders.`);
      } catch (error) {
        reminders.input.checked = !wanted;
        reminders.input.disabled = false;
        m.error(error);
      }
    });
    const newLink = h("button", { type: "button", class: "button button-small" }, c.joined_at ? "New link (new phone)" : "New link");
    newLink.addEventListener("click", () => busy(newLink, async () => {
      m.clear();
      try {
        const issued = await call("POST", `${base}/carers/${c.id}/link`);
        carers = carers.map((x) => (x.id === c.id ? { ...x, ...issued.carer } : x));
        fresh = issued;
        draw();
        focusFresh();
        announce(`A new link for ${c.name} is ready. The previous one no longer works.`);
      } catch (error) { m.error(error); }
    }));
    const remove = h("button", { type: "button", class: "button button-small button-quiet" }, "Remove");
    remove.addEventListener("click", async () => {
      const sure = await confirmDialog({
        title: `Remove ${c.name}?`,
        body: [
          `${c.name}'s phone stops showing ${patientName()} at once and gets no more of the reminders.`,
          "To help again they need a new invitation.",
        ],
        confirm: "Remove carer",
        danger: true,
      });
      if (!sure) return;
      await busy(remove, async () => {
        try {
          await call("DELETE", `${base}/carers/${c.id}`);
          carers = carers.filter((x) => x.id !== c.id);
          if (fresh && fresh.carer.id === c.id) fresh = null;
          draw();
          message.ok(`${c.name} was removed. Their phone no longer shows ${patientName()}.`);
          announce(`${c.name} was removed.`);
        } catch (error) { m.error(error); }
      });
    });
    return h("li", { class: "carer-row", "data-carer": c.id },
      h("div", { class: "carer-line" },
        h("strong", {}, c.name), " ",
        phoneBadge(c), " ",
        c.reminders ? badge("gets reminders", "ok") : badge("no reminders", "muted")),
      h("div", { class: "muted" },
        `Invited by ${c.invited_by === "staff" ? "staff" : "the patient"} on ${dateOnly(c.invited_at, zone)}`),
      reminders.el,
      m.el,
      h("div", { class: "actions actions-inline" }, newLink, remove));
  }

  function focusFresh() {
    const heading = section.querySelector("#carer-link-h");
    if (heading) heading.focus();
  }

  function inviteForm() {
    const name = h("input", { type: "text", name: "name", required: true, maxlength: "120", autocomplete: "off", spellcheck: "false" });
    // Off until ticked, as in the app: nobody gets reminders by surprise (docs/careplan.md).
    const reminders = checkbox("Send the patient's reminders to the carer's phone too", { name: "reminders" });
    const m = messageLine();
    const submit = h("button", { type: "submit", class: "button" }, "Invite a carer");
    const form = h("form", { class: "carer-invite", novalidate: true, "aria-labelledby": "carer-invite-h" },
      h("h3", { id: "carer-invite-h" }, "Invite a carer"),
      field("Carer's name", name, { hint: "A family member or friend who helps the patient, on their own phone." }),
      reminders.el,
      m.el,
      h("div", { class: "actions" }, submit));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      m.clear();
      if (!name.value.trim()) {
        m.error("Please enter the carer's name.");
        name.focus();
        return;
      }
      busy(submit, async () => {
        try {
          const issued = await call("POST", `${base}/carers`, { name: name.value.trim(), reminders: reminders.input.checked });
          carers = [...carers.filter((x) => x.id !== issued.carer.id), issued.carer];
          fresh = issued;
          draw();
          focusFresh();
          announce(`${issued.carer.name} is invited. The link and QR code are ready.`);
        } catch (error) { m.error(error); }
      });
    });
    return form;
  }

  function draw() {
    const panel = fresh
      ? h("div", { class: "carer-link" },
          h("h3", { id: "carer-link-h", tabindex: "-1" }, `Link for ${fresh.carer.name}`),
          linkPanel(fresh.enrolment, { small: true, person: `${fresh.carer.name}, the carer,` }),
          h("div", { class: "actions" },
            h("button", { type: "button", class: "button button-link", onclick: () => { fresh = null; draw(); } }, "Hide the link")))
      : null;
    replace(section,
      h("div", { class: "card-head" }, h("h2", { id: "carers-h" }, "Carers"),
        h("span", { class: "muted" }, carers.length ? `${carers.length} in all` : "none")),
      carers.length
        ? h("ul", { class: "carer-list" }, carers.map(row))
        : h("p", { class: "muted" }, "No carer yet. A carer sees only this patient, can tick tasks and report problems for them."),
      message.el,
      panel,
      inviteForm());
  }

  replace(section, h("h2", { id: "carers-h" }, "Carers"), h("p", { class: "muted" }, "Loading…"));
  load();
  return load;
}
