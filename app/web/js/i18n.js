// The PWA's own words, from the message catalogues in /locales/<code>.json (the server sends its
// texts already in the patient's language; they never pass through here).

const RTL = new Set(["qps-plocm"]);
// The page's lang for the pseudo-locales: a valid tag (checkers and screen readers know "en";
// "qps" they do not), as Android names its own pseudo-locales. The code itself is on data-language.
const PAGE_LANG = { "qps-ploc": "en-XA", "qps-plocm": "ar-XB" };
// Intl locales: the pseudo-locales are English underneath (their dates stay readable).
const INTL = { en: "en-GB", pl: "pl-PL" };

let english = {};
let words = {};
let code = "en";
let rules = new Intl.PluralRules("en-GB");

async function catalogue(lang) {
  const response = await fetch(`/locales/${encodeURIComponent(lang)}.json`);
  if (!response.ok) throw new Error(`no catalogue for ${lang}`);
  return response.json();
}

/** The locale for Intl: "en" → "en-GB", "pl" → "pl-PL", a pseudo-locale → "en-GB". */
/** The `lang` attribute for a language code: a pseudo-locale's own code is no valid BCP 47 tag
 *  to a browser or a screen reader, so it is named by the tag Android uses for it. */
export function pageLang(of) {
  return PAGE_LANG[of] || of;
}

export function locale() {
  return INTL[code] || "en-GB";
}

/** Before the phone knows its patient (an enrolment link, a phone not set up): the first of
 *  the browser's languages that has a catalogue here, else English. */
export function browserLanguage() {
  for (const tag of navigator.languages || []) {
    const primary = String(tag).split("-")[0].toLowerCase();
    if (primary in INTL) return primary;
  }
  return "en";
}

/** The language shown now ("en", "pl", ...). */
export function language() {
  return code;
}

/** Load `lang`'s words (English first, always: it fills any gap), and mark the page with it.
 *  A catalogue that cannot be loaded leaves the words as they were. */
export async function setLanguage(lang) {
  const wanted = lang || "en";
  try {
    if (!Object.keys(english).length) english = await catalogue("en");
    words = wanted === "en" ? english : await catalogue(wanted);
    code = wanted;
  } catch {
    if (!Object.keys(words).length) words = english;
  }
  rules = new Intl.PluralRules(locale());
  document.documentElement.lang = pageLang(code);
  document.documentElement.dataset.language = code;
  document.documentElement.dir = RTL.has(code) ? "rtl" : "ltr";
  translateStatic();
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (params && name in params ? String(params[name]) : whole));
}

/** The words for `key`, with {placeholders} filled from `params`. */
export function t(key, params) {
  const text = key in words ? words[key] : key in english ? english[key] : key;
  return fill(text, params);
}

/** The plural form of `key` for `n` ("key.one", "key.few", "key.many", "key.other"); {n} is `n`. */
export function plural(key, n, params = {}) {
  const form = rules.select(n);
  const values = { n, ...params };
  for (const name of [`${key}.${form}`, `${key}.other`]) {
    if (name in words) return fill(words[name], values);
  }
  return fill(english[`${key}.${new Intl.PluralRules("en-GB").select(n)}`] || english[`${key}.other`] || key, values);
}

/** index.html's own words: elements with data-i18n (text) or data-i18n-<attribute>. */
function translateStatic() {
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of document.querySelectorAll("[data-i18n-content]")) el.setAttribute("content", t(el.dataset.i18nContent));
  document.title = t("app.name");
}
