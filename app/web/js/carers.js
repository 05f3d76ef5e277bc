// Carers: people who help a patient, each on their own phone (issue 17 item 6).
// On the patient's own phone, Settings lists them and invites one with a one-time link (a QR
// code and the link to share); on a carer's phone, a banner on every screen says whom they are
// helping, with a way to switch when they help more than one person.

import { api, ApiError, NetworkError } from "./api.js";
import { announce, h, replace } from "./dom.js";
import { t } from "./i18n.js";
import { dayLong, timeOf, ymdIn } from "./time.js";

// DRAFT for clinical review: every sentence below (patient-facing).
const WORDS = {
  get heading() { return t("carers.heading"); },
  get intro() { return t("carers.intro"); },
  get loading() { return t("carers.loading"); },
  get none() { return t("carers.none"); },
  get offline() { return t("carers.offline"); },
  get notLoaded() { return t("carers.notLoaded"); },
  get failed() { return t("carers.failed"); },
  get nameMissing() { return t("carers.nameMissing"); },
  get getsReminders() { return t("carers.getsReminders"); },
  get noReminders() { return t("carers.noReminders"); },
  get signedIn() { return t("carers.signedIn"); },
  get notSignedIn() { return t("carers.notSignedIn"); },
  get expired() { return t("carers.expired"); },
  get remindersSwitch() { return t("carers.remindersSwitch"); },
  remindersOn: (name) => t("carers.remindersOn", { name }),
  remindersOff: (name) => t("carers.remindersOff", { name }),
  get newLink() { return t("carers.newLink"); },
  get remove() { return t("carers.remove"); },
  removeQuestion: (name) => t("carers.removeQuestion", { name }),
  removeYes: (name) => t("carers.removeYes", { name }),
  removeNo: (name) => t("carers.removeNo", { name }),
  removed: (name) => t("carers.removed", { name }),
  get inviteHeading() { return t("carers.inviteHeading"); },
  get nameLabel() { return t("carers.nameLabel"); },
  get sendReminders() { return t("carers.sendReminders"); },
  get sendRemindersHint() { return t("carers.sendRemindersHint"); },
  get invite() { return t("carers.invite"); },
  get inviting() { return t("carers.inviting"); },
  linkHeading: (name) => t("carers.linkHeading", { name }),
  linkGive: (name, until) => t("carers.linkGive", { name, until }),
  get linkHow() { return t("carers.linkHow"); },
  qrAlt: (name) => t("carers.qrAlt", { name }),
  get share() { return t("carers.share"); },
  shareText: (name) => t("carers.shareText", { name }),
  get copy() { return t("carers.copy"); },
  get copied() { return t("carers.copied"); },
  get copyFailed() { return t("carers.copyFailed"); },
  get linkDone() { return t("carers.linkDone"); },
  // On a carer's phone
  get helping() { return t("carers.helping"); },
  switchTo: (name) => t("carers.switchTo", { name }),
  get switching() { return t("carers.switching"); },
  switchWaiting: (name) => t("carers.switchWaiting", { name }),
  carerHeading: (name) => t("carers.carerHeading", { name }),
  carerNote: (name) => t("carers.carerNote", { name }),
};

/** One plain sentence for a failed call. */
function sentence(error) {
  if (error instanceof NetworkError) return WORDS.offline;
  if (error instanceof ApiError && error.detail) return error.detail;
  return WORDS.failed;
}

/** A line for one sentence next to what it is about: an error is said at once. */
function noteLine(id) {
  const el = h("p", { class: "form-status", id, role: "status" });
  return {
    el,
    error(text) {
      el.className = "form-status form-error";
      el.setAttribute("role", "alert");
      el.textContent = text;
    },
    ok(text) {
      el.className = "form-status";
      el.setAttribute("role", "status");
      el.textContent = text;
    },
    clear() {
      el.className = "form-status";
      el.textContent = "";
    },
  };
}

/** "Friday 3 April at 12:00 pm", in the patient's time. */
function untilWhen(instant, zone) {
  return t("time.dayAt", { day: dayLong(ymdIn(instant, zone)), time: timeOf(instant, zone) });
}

/** The QR code as an image (a data: URL: nothing in it can run, and the CSP allows it). */
function qrImage(svg, alt) {
  if (typeof svg !== "string" || !svg.startsWith("<svg")) return null;
  return h("img", { class: "carer-qr-img", src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, alt });
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The one-time link for `name`: QR code, the link, share and copy. */
function linkPanel(name, enrolment, zone, { id, onDone } = {}) {
  const status = noteLine(`${id}-status`);
  const url = h("p", { class: "carer-link-url", id: `${id}-url` }, enrolment.url);
  const share = typeof navigator.share === "function"
    ? h("button", {
        type: "button",
        class: "button button-primary",
        id: `${id}-share`,
        onclick: async () => {
          try {
            await navigator.share({ title: t("app.name"), text: WORDS.shareText(name), url: enrolment.url });
          } catch {
            // closed without sharing: nothing to say
          }
        },
      }, WORDS.share)
    : null;
  const copy = h("button", {
    type: "button",
    class: share ? "button button-secondary" : "button button-primary",
    id: `${id}-copy`,
    onclick: async () => {
      if (await copyText(enrolment.url)) status.ok(WORDS.copied);
      else {
        const range = document.createRange();
        range.selectNodeContents(url);
        const chosen = getSelection();
        chosen.removeAllRanges();
        chosen.addRange(range);
        status.error(WORDS.copyFailed);
      }
    },
  }, WORDS.copy);
  const qr = qrImage(enrolment.qr_svg, WORDS.qrAlt(name));
  return h("div", { class: "carer-link", id, "aria-labelledby": `${id}-heading`, role: "group" },
    h("h3", { id: `${id}-heading`, tabindex: "-1" }, WORDS.linkHeading(name)),
    h("p", {}, WORDS.linkGive(name, untilWhen(enrolment.expires_at, zone))),
    qr ? h("figure", { class: "carer-qr" }, qr) : null,
    h("p", {}, WORDS.linkHow),
    url,
    h("div", { class: "actions-row" }, share, copy,
      onDone ? h("button", { type: "button", class: "button button-link", id: `${id}-done`, onclick: onDone }, WORDS.linkDone) : null),
    status.el);
}

function phoneLine(carer) {
  if (carer.joined_at) return WORDS.signedIn;
  if (carer.enrolment === "expired" || carer.enrolment === "revoked") return WORDS.expired;
  return WORDS.notSignedIn;
}

/**
 * The Settings card on the patient's own phone: who helps them, and inviting someone.
 * ctx: {profile} (time zone for the link's expiry). Loads the list itself.
 */
export function carersCard({ profile }) {
  const zone = profile.time_zone;
  const list = h("div", { class: "carer-list", id: "carer-list" }, h("p", { class: "hint" }, WORDS.loading));
  const cardStatus = noteLine("carers-status");
  const invite = h("div", { id: "carer-invite" });
  let carers = null;
  const links = new Map(); // carer id → the fresh link shown under their name
  const asking = new Set(); // carer ids whose "Remove?" question is open
  const notes = new Map(); // carer id → [kind, sentence] shown in their row

  function focusAfter(id) {
    const el = id && document.getElementById(id);
    if (el) el.focus();
  }

  function drawList(focusId = null) {
    if (!carers) return;
    if (!carers.length) {
      replace(list, h("p", { class: "hint", id: "carers-none" }, WORDS.none));
    } else {
      replace(list, h("ul", { class: "carers" }, carers.map(carerItem)));
    }
    focusAfter(focusId);
  }

  function carerItem(carer) {
    const id = carer.id;
    const note = noteLine(`carer-note-${id}`);
    const [kind, text] = notes.get(id) || [];
    if (kind === "error") note.error(text);
    else if (kind === "ok") note.ok(text);
    const reminders = h("input", {
      type: "checkbox",
      role: "switch",
      id: `carer-reminders-${id}`,
      checked: carer.reminders,
      "aria-describedby": note.el.id,
    });
    reminders.addEventListener("change", async () => {
      const wanted = reminders.checked;
      reminders.disabled = true;
      notes.delete(id);
      note.clear();
      try {
        const { data } = await api("PATCH", `/api/me/carers/${encodeURIComponent(id)}`, { reminders: wanted });
        carers = carers.map((c) => (c.id === id ? { ...c, ...data } : c));
        notes.set(id, ["ok", wanted ? WORDS.remindersOn(carer.name) : WORDS.remindersOff(carer.name)]);
        drawList(`carer-reminders-${id}`);
      } catch (error) {
        reminders.checked = !wanted;
        reminders.disabled = false;
        notes.set(id, ["error", sentence(error)]);
        note.error(sentence(error));
      }
    });

    const newLink = carer.joined_at ? null : h("button", {
      type: "button",
      class: "button button-secondary",
      id: `carer-link-${id}`,
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        notes.delete(id);
        note.clear();
        try {
          const { data } = await api("POST", `/api/me/carers/${encodeURIComponent(id)}/link`);
          carers = carers.map((c) => (c.id === id ? { ...c, ...data.carer } : c));
          links.set(id, data.enrolment);
          drawList(`carer-panel-${id}-heading`);
          announce(WORDS.linkHeading(carer.name));
        } catch (error) {
          button.disabled = false;
          notes.set(id, ["error", sentence(error)]);
          note.error(sentence(error));
        }
      },
    }, WORDS.newLink);

    const remove = h("button", {
      type: "button",
      class: "button button-secondary",
      id: `carer-remove-${id}`,
      "aria-expanded": asking.has(id) ? "true" : "false",
      onclick: () => {
        asking.add(id);
        drawList(`carer-remove-yes-${id}`);
      },
    }, WORDS.remove);

    const confirmBox = asking.has(id)
      ? h("div", { class: "carer-confirm", id: `carer-confirm-${id}`, role: "group", "aria-labelledby": `carer-confirm-q-${id}` },
          h("p", { class: "confirm-question", id: `carer-confirm-q-${id}` }, WORDS.removeQuestion(carer.name)),
          h("div", { class: "confirm-actions" },
            h("button", {
              type: "button",
              class: "button button-danger",
              id: `carer-remove-yes-${id}`,
              onclick: async (event) => {
                const button = event.currentTarget;
                button.disabled = true;
                try {
                  await api("DELETE", `/api/me/carers/${encodeURIComponent(id)}`);
                  carers = carers.filter((c) => c.id !== id);
                  asking.delete(id);
                  links.delete(id);
                  notes.delete(id);
                  drawList();
                  cardStatus.ok(WORDS.removed(carer.name));
                  document.getElementById("carers-heading").focus();
                } catch (error) {
                  button.disabled = false;
                  notes.set(id, ["error", sentence(error)]);
                  note.error(sentence(error));
                }
              },
            }, WORDS.removeYes(carer.name)),
            h("button", {
              type: "button",
              class: "button button-secondary",
              id: `carer-remove-no-${id}`,
              onclick: () => {
                asking.delete(id);
                drawList(`carer-remove-${id}`);
              },
            }, WORDS.removeNo(carer.name))))
      : null;

    const fresh = links.get(id);
    return h("li", { class: "carer", id: `carer-${id}`, "aria-labelledby": `carer-name-${id}` },
      h("h3", { class: "carer-name", id: `carer-name-${id}` }, carer.name),
      h("p", { class: "carer-facts" },
        h("span", {}, carer.reminders ? WORDS.getsReminders : WORDS.noReminders), " ",
        h("span", { class: carer.joined_at ? "carer-joined" : "carer-waiting" }, phoneLine(carer))),
      h("label", { class: "check carer-switch", for: reminders.id }, reminders, h("span", {}, WORDS.remindersSwitch)),
      note.el,
      fresh ? linkPanel(carer.name, fresh, zone, {
        id: `carer-panel-${id}`,
        onDone: () => {
          links.delete(id);
          drawList(newLink ? `carer-link-${id}` : `carer-remove-${id}`);
        },
      }) : null,
      confirmBox || h("div", { class: "actions-row carer-actions" }, newLink, remove));
  }

  function drawInvite(focusId = null) {
    const name = h("input", { type: "text", id: "carer-name", name: "carer_name", autocomplete: "off", spellcheck: "false", "aria-describedby": "carer-name-error" });
    const nameError = h("p", { class: "form-error", id: "carer-name-error", hidden: true });
    // Off until the patient ticks it: nobody gets reminders by surprise (docs/careplan.md, Carers).
    const reminders = h("input", { type: "checkbox", id: "carer-send-reminders", name: "carer_reminders", "aria-describedby": "carer-send-reminders-hint" });
    const status = noteLine("carer-invite-status");
    const submit = h("button", { type: "submit", class: "button button-primary", id: "carer-invite-submit" }, WORDS.invite);
    const form = h("form", { class: "carer-invite-form", id: "carer-invite-form", novalidate: true, "aria-labelledby": "carer-invite-heading" },
      h("h3", { id: "carer-invite-heading", tabindex: "-1" }, WORDS.inviteHeading),
      h("div", { class: "field" }, h("label", { for: "carer-name", class: "label" }, WORDS.nameLabel), name, nameError),
      h("div", { class: "field" },
        h("label", { class: "check", for: reminders.id }, reminders, h("span", {}, WORDS.sendReminders)),
        h("p", { class: "hint", id: "carer-send-reminders-hint" }, WORDS.sendRemindersHint)),
      status.el,
      submit);
    const nameWrong = (text) => {
      nameError.textContent = text;
      nameError.hidden = false;
      name.setAttribute("aria-invalid", "true");
      name.focus();
    };
    name.addEventListener("input", () => {
      nameError.hidden = true;
      name.removeAttribute("aria-invalid");
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.clear();
      // Nothing typed is said at once; every other rule is the server's, in its sentence.
      const typed = name.value.trim();
      if (!typed) return nameWrong(WORDS.nameMissing);
      submit.disabled = true;
      status.ok(WORDS.inviting);
      try {
        const { data } = await api("POST", "/api/me/carers", { name: typed, reminders: reminders.checked });
        carers = [...(carers || []).filter((c) => c.id !== data.carer.id), data.carer];
        drawList();
        replace(invite, linkPanel(data.carer.name, data.enrolment, zone, {
          id: "carer-invited",
          onDone: () => drawInvite("carer-invite-heading"),
        }));
        focusAfter("carer-invited-heading");
        announce(WORDS.linkHeading(data.carer.name));
      } catch (error) {
        submit.disabled = false;
        // A refused name is said under the name; anything else next to the button.
        if (error instanceof ApiError && error.status === 422) nameWrong(error.detail || WORDS.failed);
        else status.error(sentence(error));
      }
    });
    replace(invite, form);
    focusAfter(focusId);
  }

  api("GET", "/api/me/carers").then(({ data }) => {
    carers = Array.isArray(data) ? data : [];
    drawList();
  }).catch((error) => {
    replace(list, h("p", { class: "hint" }, error instanceof NetworkError ? WORDS.notLoaded : sentence(error)));
  });
  drawInvite();

  return h("section", { class: "card carers-card", id: "carers-card", "aria-labelledby": "carers-heading" },
    h("h2", { id: "carers-heading", tabindex: "-1" }, WORDS.heading),
    h("p", {}, WORDS.intro),
    list,
    cardStatus.el,
    invite);
}

/** The person a carer's phone is showing now: {id, name} or null. */
export function currentPatient(carer) {
  if (!carer) return null;
  return carer.patients.find((p) => p.id === carer.current) || null;
}

/** The first word of a name ("Mary Lee" → "Mary"). */
export function firstName(name) {
  return String(name || "").trim().split(/\s+/)[0] || String(name || "");
}

/**
 * The banner on a carer's phone, on every screen: "You are helping Mary Lee", and a button
 * per other person they help ("Switch to John Lee"). onSwitch(patient) → Promise<error text|null>.
 */
export function carerBanner(carer, onSwitch) {
  const current = currentPatient(carer);
  if (!current) return null;
  const status = noteLine("switch-status");
  const others = carer.patients.filter((p) => p.id !== carer.current);
  const buttons = others.map((p) => h("button", {
    type: "button",
    class: "button button-secondary button-small",
    id: `switch-${p.id}`,
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      status.ok(WORDS.switching);
      const error = await onSwitch(p);
      if (error) {
        button.disabled = false;
        status.error(error);
      }
    },
  }, WORDS.switchTo(p.name)));
  return h("div", { class: "carer-bar-inner" },
    h("p", { class: "carer-helping", id: "carer-helping" },
      h("span", { class: "carer-icon", "aria-hidden": "true" }),
      h("span", {}, `${WORDS.helping} `, h("strong", {}, current.name))),
    buttons.length ? h("div", { class: "carer-switches" }, buttons) : null,
    status.el);
}

/** Settings on a carer's phone: what only the patient can change, in one sentence. */
export function carerSettingsNote(carer) {
  const current = currentPatient(carer);
  const name = current ? firstName(current.name) : "";
  return h("section", { class: "card carer-note", id: "carer-note", "aria-labelledby": "carer-note-heading" },
    h("h2", { id: "carer-note-heading" }, WORDS.carerHeading(current ? current.name : "")),
    h("p", {}, WORDS.carerNote(name)));
}

/** The sentence for a switch refused because ticks for the current person are still waiting. */
export function switchWaitingText(carer) {
  const current = currentPatient(carer);
  return WORDS.switchWaiting(current ? firstName(current.name) : "");
}
