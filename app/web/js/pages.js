// Whole-screen messages: a link that cannot be used, a phone that is not set up, offline.

import { h } from "./dom.js";

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
  return messagePage("This link cannot be used", [
    detail || "This link has already been used or has expired. Please ask your clinic for a new one.",
    alreadySetUp ? "Good news: this phone is already set up, so you can carry on." : null,
  ].filter(Boolean), alreadySetUp
    ? [h("button", { type: "button", class: "button button-primary", onclick: openPlan }, "Open my plan")]
    : []);
}

export function signedOut() {
  return messagePage("Open the link from your clinic", [
    "This phone is not set up for Aftercare yet.",
    "Your clinic sends you a link by text message or e-mail. Open that link on this phone and your plan will appear here.",
    "If you cannot find it, please ask your clinic for a new link.",
  ]);
}

/** A carer's phone without a session: signed out, or no longer helping anyone. */
export function carerSignedOut() {
  // DRAFT for clinical review: every sentence below.
  return messagePage("You are not helping anyone on this phone", [
    "This phone no longer shows anyone's plan. The person you helped may have removed you, or this phone was signed out.",
    "If you still help them, ask them or their clinic for a new link and open it on this phone.",
  ]);
}

export function offline(retry) {
  return messagePage("You are offline", [
    "Aftercare needs the internet the first time it opens on this phone.",
    "Please connect to Wi-Fi or mobile data and try again.",
  ], [h("button", { type: "button", class: "button button-primary", onclick: retry }, "Try again")]);
}

export function failed(detail, retry) {
  return messagePage("Something went wrong", [
    detail || "Aftercare could not load your plan.",
    "Please try again in a moment. If it keeps happening, call your clinic.",
  ], [h("button", { type: "button", class: "button button-primary", onclick: retry }, "Try again")]);
}

export function enrolling() {
  return messagePage("Setting up your phone…", ["This takes a moment."]);
}
