// The patient's language in the console: a choice of the languages the server offers, and a name.

import { h } from "./ui.js";
import { session } from "./session.js";

/** The offered languages ({code, name}, each in its own language) from GET /api/clinic. */
function offered() {
  const listed = session.clinic && session.clinic.languages;
  return listed && listed.length ? listed : [{ code: "en", name: "English" }];
}

/** A <select> of the offered languages with `value` chosen (a code not offered stays shown). */
export function languageSelect(value, attrs = {}) {
  const choices = offered();
  const known = choices.some((lang) => lang.code === value);
  const options = (known ? choices : [...choices, { code: value, name: value }])
    .map((lang) => h("option", { value: lang.code, selected: lang.code === value }, lang.name));
  return h("select", attrs, ...options);
}
