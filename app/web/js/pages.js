// Whole-screen messages: a link that cannot be used, a phone that is not set up, offline.

import { h } from "./dom.js";
import { t } from "./i18n.js";

export function messagePage(title, paragraphs, actions = []) {
  return [
    h("section", { class: "message-page", "aria-labelledby": "view-heading" },
      h("span", { class: "message-icon", "aria-hidden": "true" }),
      h("h1", { id: "view-heading", tabindex: "-1" }, title),
      paragraphs.map((p) => (p instanceof Node ? p : h("p", {}, p))),
      actions.length ? h("div", { class: "actions" }, actions) : null),
  ];
}

export function linkRefused(detail, alreadySetUp, openPlan) {
  return messagePage(t("pages.refusedTitle"), [
    detail || t("pages.refused"),
    alreadySetUp ? t("pages.alreadySetUp") : null,
  ].filter(Boolean), alreadySetUp
    ? [h("button", { type: "button", class: "button button-primary", onclick: openPlan }, t("pages.openPlan"))]
    : []);
}

export function signedOut() {
  return messagePage(t("pages.signedOutTitle"), [t("pages.signedOut1"), t("pages.signedOut2"), t("pages.signedOut3")]);
}

/** A carer's phone without a session: signed out, or no longer helping anyone. */
export function carerSignedOut() {
  // DRAFT for clinical review: every sentence below.
  return messagePage(t("pages.carerSignedOutTitle"), [t("pages.carerSignedOut1"), t("pages.carerSignedOut2")]);
}

export function offline(retry) {
  return messagePage(t("pages.offlineTitle"), [t("pages.offline1"), t("pages.offline2")],
    [h("button", { type: "button", class: "button button-primary", onclick: retry }, t("pages.tryAgain"))]);
}

export function failed(detail, retry) {
  return messagePage(t("pages.failedTitle"), [detail || t("pages.failed1"), t("pages.failed2")],
    [h("button", { type: "button", class: "button button-primary", onclick: retry }, t("pages.tryAgain"))]);
}

export function enrolling() {
  return messagePage(t("pages.enrollingTitle"), [t("pages.enrolling")]);
}
