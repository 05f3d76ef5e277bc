// ESLint for the PWA (app/web) and the staff console (app/web/console): `make lint` runs it.
// The browser runs these files as they are (no build step), so the rules catch what would
// otherwise fail only on a patient's phone: undefined names, unused code, loose equality.

import js from "@eslint/js";
import globals from "globals";

const SERVICE_WORKERS = ["app/web/sw.js", "app/web/console/sw.js"];
// Loaded by the service workers with importScripts() as well as imported by pages: it must stay
// a classic script (an `export` would break both service workers).
const SHARED_WITH_WORKERS = ["app/web/js/base64url.js"];
const CLASSIC_SCRIPTS = [...SERVICE_WORKERS, ...SHARED_WITH_WORKERS];

export default [
  js.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // On top of the recommended set (undefined names, unreachable code, ...): rules for bugs
      // this code has had or could have; none is about layout.
      eqeqeq: ["error", "always"],
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "prefer-const": "error",
      "no-var": "error",
      "no-shadow": "error",
      "no-self-compare": "error",
      "no-template-curly-in-string": "error",
      "no-unmodified-loop-condition": "error",
      "no-unreachable-loop": "error",
    },
  },
  {
    // Pages: ES modules in the browser.
    files: ["app/web/**/*.js"],
    ignores: CLASSIC_SCRIPTS,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
  },
  {
    // Service workers: classic scripts (module workers are not supported by every browser).
    files: SERVICE_WORKERS,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.serviceworker },
    },
  },
  {
    files: SHARED_WITH_WORKERS,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser, ...globals.serviceworker },
    },
  },
  {
    // This file: run by Node.
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
