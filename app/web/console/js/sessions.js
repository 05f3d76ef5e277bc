// "Your sessions": where this account is signed in, signing one out or all the others; and the
// offer to sign the others out once two-step sign-in is turned on.

import { call } from "./http.js";
import { clinicZone } from "./session.js";
import { h, replace, messageLine, busy, badge, confirmDialog, announce } from "./ui.js";
import { dateTime, relative } from "./format.js";

const BASE = "/api/staff/me/sessions";

/** "Firefox on Windows" from a User-Agent header; the header itself when it says neither. */
export function deviceName(userAgent) {
  const ua = userAgent || "";
  const browser = [[/Edg\//, "Edge"], [/Firefox\//, "Firefox"], [/Chrom(e|ium)\//, "Chrome"], [/Safari\//, "Safari"]]
    .find(([pattern]) => pattern.test(ua));
  const system = [[/iPhone|iPad/, "iOS"], [/Android/, "Android"], [/Windows/, "Windows"], [/Mac OS X/, "macOS"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"]]
    .find(([pattern]) => pattern.test(ua));
  if (browser && system) return `${browser[1]} on ${system[1]}`;
  if (browser) return browser[1];
  return ua.slice(0, 60) || "Unknown browser";
}

/** Fill `card` (a section labelled by #sessions-h) with the live sessions; safe to call again. */
export async function showSessions(card) {
  const message = messageLine();
  let list;
  try {
    list = await call("GET", BASE);
  } catch (error) {
    message.error(error);
    replace(card, h("h2", { id: "sessions-h" }, "Your sessions"), message.el);
    return;
  }
  const others = list.filter((s) => !s.current);
  const items = list.map((s) => {
    const name = deviceName(s.user_agent);
    const signOut = s.current ? null : h("button", { type: "button", class: "button button-small", "aria-label": `Sign out ${name}, last active ${relative(s.last_seen_at)}` }, "Sign out");
    if (signOut) {
      signOut.addEventListener("click", () => busy(signOut, async () => {
        try {
          await call("DELETE", `${BASE}/${s.id}`);
          announce(`${name} is signed out.`);
          await showSessions(card);
          card.querySelector("h2").focus();
        } catch (error) {
          message.error(error);
        }
      }));
    }
    return h("li", { class: "session" },
      h("div", { class: "session-what" },
        h("span", { class: "session-name", title: s.user_agent || null }, name),
        s.current ? badge("this browser", "ok") : null,
        s.second_factor_pending ? badge("waiting for a code", "warn", "Someone gave your password here but not yet the code") : null),
      h("p", { class: "session-when muted" },
        h("span", { title: dateTime(s.last_seen_at, clinicZone()) }, `Last active ${relative(s.last_seen_at)}`),
        " · ",
        h("span", {}, `signed in ${dateTime(s.created_at, clinicZone())}`),
        s.ip ? ` · ${s.ip}` : ""),
      signOut ? h("div", { class: "session-actions" }, signOut) : null);
  });
  const everywhere = h("button", { type: "button", class: "button" }, "Sign out everywhere else");
  everywhere.addEventListener("click", () => busy(everywhere, async () => {
    try {
      const { ended } = await call("POST", `${BASE}/end-others`);
      announce(ended === 1 ? "1 other session is signed out." : `${ended} other sessions are signed out.`);
      await showSessions(card);
      card.querySelector("h2").focus();
    } catch (error) {
      message.error(error);
    }
  }));
  replace(card,
    h("h2", { id: "sessions-h", tabindex: "-1" }, "Your sessions"),
    h("p", {}, others.length
      ? "You are signed in here and in the places below. Sign out any you do not recognise."
      : "You are signed in only here."),
    h("ul", { class: "sessions", "aria-labelledby": "sessions-h" }, items),
    message.el,
    others.length ? h("div", { class: "actions" }, everywhere) : null);
}

/** After two-step sign-in is turned on: offer to sign out the sessions opened without it. */
export async function offerToEndOthers(card) {
  let others;
  try {
    others = (await call("GET", BASE)).filter((s) => !s.current);
  } catch {
    return; // the card shows the list, or why it cannot
  }
  if (!others.length) return;
  const sure = await confirmDialog({
    title: "Sign out your other sessions?",
    body: [
      others.length === 1
        ? "Your account is also open somewhere else, without the code."
        : `Your account is also open in ${others.length} other places, without the code.`,
      "Sign them out so that they need the code too.",
    ],
    confirm: "Sign out other sessions",
    cancel: "Keep them",
  });
  if (!sure) return;
  try {
    const { ended } = await call("POST", `${BASE}/end-others`);
    announce(ended === 1 ? "1 other session is signed out." : `${ended} other sessions are signed out.`);
  } finally {
    await showSessions(card);
  }
}
