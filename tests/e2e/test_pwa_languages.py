"""The PWA in other languages: every key the code uses is in both catalogues (same placeholders,
none unused); a pseudo-locale proves every PWA word goes through the catalogue and nothing
overflows at phone, narrow and 200 % text sizes; right-to-left mirrors the layout; Polish shows
Polish words and dates. Screenshots in test-artifacts/screens/ to be looked at.

Until the server offers the languages (profile.languages, PATCH /api/me/preferences
{language}, /locales/qps-ploc*.json) the test makes its own pseudo catalogue from en.json and
gives the profile the language by a route; once the server does, the real routes are used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.patients.models import Patient
from tests.e2e.layout_support import LARGE_TEXT, SIZES, check_screen, open_sized
from tests.e2e.pwa_support import (
    Enrolled,
    Live,
    open_page,
    screenshot,
    screenshot_part,
    scroll_into_view,
    unexpected,
)

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
LOCALES = WEB / "locales"
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")
POLISH_FORMS = {"one", "few", "many", "other"}  # Intl.PluralRules("pl-PL") categories
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _catalogue(code: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / f"{code}.json").read_text(encoding="utf-8"))
    return data


def _base(key: str) -> str:
    """A plural form's key without its form ("today.planned.one" → "today.planned")."""
    head, _, tail = key.rpartition(".")
    return head if tail in PLURAL_FORMS else key


def _used_keys() -> set[str]:
    """Every catalogue key the PWA's code names: literal "namespace.key" strings in its
    modules (t("…"), plural("…") and keys chosen by a condition) and index.html's data-i18n."""
    namespaces = {key.split(".")[0] for key in _catalogue("en")}
    names = "|".join(sorted(namespaces))
    literal = re.compile(rf"""["']((?:{names})\.[A-Za-z0-9_.]+)["']""")
    used: set[str] = set()
    for path in [WEB / "app.js", *sorted((WEB / "js").glob("*.js"))]:
        used |= set(literal.findall(path.read_text(encoding="utf-8")))
    html = (WEB / "index.html").read_text(encoding="utf-8")
    used |= set(re.findall(r'data-i18n(?:-label|-content)?="([^"]+)"', html))
    return used


def test_every_key_used_is_in_english_and_polish_with_the_same_placeholders() -> None:
    en, pl = _catalogue("en"), _catalogue("pl")
    used = _used_keys()
    en_bases = {_base(k) for k in en}
    assert sorted(k for k in used if k not in en and k not in en_bases) == []
    assert sorted(k for k in en if k not in used and _base(k) not in used) == [], "unused keys"
    plain = [k for k in en if _base(k) == k]
    assert sorted(k for k in plain if k not in pl) == [], "missing in pl.json"
    assert sorted(k for k in pl if _base(k) not in en_bases) == [], "pl.json keys not in en.json"
    for key in plain:
        assert set(PLACEHOLDER.findall(pl[key])) == set(PLACEHOLDER.findall(en[key])), key
    for base in sorted({_base(k) for k in en if _base(k) != k}):
        forms = {k.rpartition(".")[2] for k in pl if _base(k) == base and k != base}
        assert forms == POLISH_FORMS, f"{base}: Polish needs one/few/many/other, has {forms}"
        wanted = set(PLACEHOLDER.findall(en[f"{base}.other"]))
        for form in forms:
            assert set(PLACEHOLDER.findall(pl[f"{base}.{form}"])) == wanted, f"{base}.{form}"


# ---------------------------------------------------------------- the pseudo-locale

ACCENTED = str.maketrans("aceinouyAEIOUCNY", "àçéîñöûýÀÉÎÖÛÇÑÝ")


def pseudo(text: str) -> str:
    """The pseudo-locale's words for `text`: accented, about 40 % longer (in extra short words,
    so a word is no longer than the English one), in ⟦ ⟧, {placeholders} kept."""
    parts = PLACEHOLDER.split(text)  # words, then a placeholder's name, then words, ...
    out = "".join(f"{{{p}}}" if i % 2 else p.translate(ACCENTED) for i, p in enumerate(parts))
    extra = max(1, round(len(PLACEHOLDER.sub("", text)) * 0.4))
    padding = " ".join(["ẋẋẋ"] * max(1, extra // 4))
    return f"⟦{out} {padding}⟧"


def pseudo_catalogue() -> dict[str, str]:
    return {key: pseudo(value) for key, value in _catalogue("en").items()}


def _routes(context: Any, live: Live, code: str) -> None:
    """The patient's language `code`: the server's own support when it has it (the language
    saved by PATCH /api/me/preferences, the catalogue from /locales/), else routes giving the
    profile the language and serving the catalogue."""
    me = context.request.get(f"{live.base_url}/api/me").json()
    if any(item.get("code") == code for item in me.get("languages", [])):
        answer = context.request.patch(
            f"{live.base_url}/api/me/preferences", data={"language": code}
        )
        assert answer.ok, answer.text()
    else:

        def with_language(route: Any) -> None:
            if route.request.method != "GET":
                route.continue_()
                return
            response = route.fetch()
            body = response.json()
            body["language"] = code
            route.fulfill(response=response, json=body)

        context.route("**/api/me", with_language)
    if code.startswith("qps"):
        real = context.request.get(f"{live.base_url}/locales/{code}.json")
        if real.status == 404:
            words = pseudo_catalogue()
            context.route(f"**/locales/{code}.json", lambda route: route.fulfill(json=words))


def _context(browser: Any, live: Live, size: str) -> Any:
    # No service worker: the routes must see the page's own requests.
    return browser.new_context(
        **SIZES[size], base_url=live.base_url, locale="en-GB", timezone_id="Europe/London",
        has_touch=True, service_workers="block",
    )  # fmt: skip


def _open(context: Any, live: Live, size: str) -> tuple[Any, list[str]]:
    page, problems = open_page(context, live.clock.now())
    if size == "text200":
        cdp = context.new_cdp_session(page)
        cdp.send("Page.enable")
        cdp.send("Page.setFontSizes", {"fontSizes": LARGE_TEXT})
    return page, problems


@pytest.fixture
def signed_in(browser: Any, live: Live, enrolled: Enrolled) -> Iterator[list[dict[str, Any]]]:
    """The cookies of Ada's phone, signed in once with her link."""
    context = _context(browser, live, "phone")
    page, _ = open_page(context, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.locator(".day-heading")).to_be_visible()
    yield context.cookies()
    context.close()


# Every text node and accessible name on the page, with where it is.
TEXTS = """() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || parent.closest("[hidden], script, noscript, style")) continue;
        const text = node.data.trim();
        if (text) found.push([parent.tagName.toLowerCase() + "#" + parent.id, text]);
    }
    for (const el of document.querySelectorAll("[aria-label]")) {
        if (!el.closest("[hidden]")) found.push(["aria-label", el.getAttribute("aria-label")]);
    }
    return found;
}"""


def _english_patterns() -> list[re.Pattern[str]]:
    """en.json's sentences as patterns ({placeholders} match anything); those with too few
    words of their own to tell from the server's text ("Call {number}", "{day}: {said}") are
    left out."""
    patterns = []
    for value in _catalogue("en").values():
        own = PLACEHOLDER.sub("", value)
        if len(re.sub(r"[^A-Za-z]", "", own)) < (3 if own == value else 8):
            continue
        parts = PLACEHOLDER.split(value)
        body = "".join(".+?" if i % 2 else re.escape(p) for i, p in enumerate(parts))
        patterns.append(re.compile(body.strip()))
    return patterns


def assert_all_pseudo(page: Any, name: str) -> None:
    """No PWA word left in English: every text that is one of en.json's sentences carries
    the pseudo brackets (the rest is the server's, names, numbers, and Intl's dates)."""
    patterns = _english_patterns()
    texts = page.evaluate(TEXTS)
    assert any("⟦" in text for _, text in texts), f"{name}: no pseudo words at all"
    english = [
        (where, text)
        for where, text in texts
        if "⟦" not in text and any(p.fullmatch(text) for p in patterns)
    ]
    assert english == [], f"{name}: PWA words not from the catalogue: {english}"


def _screens(page: Any, name: str, *, pseudo_words: bool) -> None:
    """Today, Report (the form, then an answer, with the earlier reports), Settings."""
    expect(page.locator(".day-heading")).to_be_visible()
    expect(page.locator(".greeting")).to_be_visible()
    if pseudo_words:
        assert_all_pseudo(page, f"{name} today")
    check_screen(page, f"{name}-today")
    page.locator('a[data-route="report"]').click()
    expect(page.locator(".report-form")).to_be_visible()
    expect(page.locator("#my-reports")).to_be_visible()
    if pseudo_words:
        assert_all_pseudo(page, f"{name} report")
    check_screen(page, f"{name}-report")
    page.locator(".pain-option").nth(2).click()
    page.locator("#report-submit").click()
    expect(page.locator(".result")).to_be_visible()
    if pseudo_words:
        assert_all_pseudo(page, f"{name} answer")
    check_screen(page, f"{name}-answer")
    page.locator(".result button").click()
    page.locator('a[data-route="report"]').click()
    expect(page.locator(".my-report")).to_have_count(1)
    if pseudo_words:
        assert_all_pseudo(page, f"{name} my reports")
    check_screen(page, f"{name}-my-reports")
    page.locator('a[data-route="settings"]').click()
    expect(page.locator("#day-heading")).to_be_visible()
    expect(page.locator("#carers-none")).to_be_visible()
    if pseudo_words:
        assert_all_pseudo(page, f"{name} settings")
    check_screen(page, f"{name}-settings")


@pytest.mark.parametrize("size", ["phone", "narrow", "text200"])
def test_pseudo_locale_every_word_from_the_catalogue_and_nothing_overflows(
    browser: Any, live: Live, signed_in: list[dict[str, Any]], size: str
) -> None:
    context = _context(browser, live, size)
    try:
        context.add_cookies(signed_in)
        _routes(context, live, "qps-ploc")
        page, problems = _open(context, live, size)
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("data-language", "qps-ploc")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        _screens(page, f"lang-pseudo-{size}", pseudo_words=True)
        assert unexpected(problems) == []
    finally:
        context.close()


def _starts_on_the_right(icon: dict[str, float], words: dict[str, float]) -> bool:
    """The icon is where a right-to-left line starts: its right edge at (or right of) the
    words' right edge, and it sits in their right half (beside them or floated in them)."""
    right = words["x"] + words["width"]
    return icon["x"] + icon["width"] >= right - 1 and icon["x"] > words["x"] + words["width"] / 2


@pytest.mark.parametrize("size", ["phone", "narrow", "text200"])
def test_right_to_left_pseudo_locale_mirrors_the_layout(
    browser: Any, live: Live, signed_in: list[dict[str, Any]], size: str
) -> None:
    context = _context(browser, live, size)
    try:
        context.add_cookies(signed_in)
        _routes(context, live, "qps-plocm")
        page, problems = _open(context, live, size)
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator(".task").first).to_be_visible()
        # The bottom bar reads from the right: Today right-most, Settings left-most.
        today = page.locator('a[data-route="today"]').bounding_box()
        settings = page.locator('a[data-route="settings"]').bounding_box()
        assert today["x"] > settings["x"]
        # A task's icon on the right of its words (beside them, or at narrow widths and large
        # text floated at their start with the words around it); so its tick's icon.
        icon = page.locator(".task .task-icon").first.bounding_box()
        words = page.locator(".task .task-text").first.bounding_box()
        assert _starts_on_the_right(icon, words)
        tick = page.locator(".tick").first
        tick_icon = tick.locator(".tick-icon").bounding_box()
        tick_words = tick.locator("span").nth(1).bounding_box()
        assert _starts_on_the_right(tick_icon, tick_words)
        # The greeting and headings start at the right edge.
        heading = page.locator("#view-heading").bounding_box()
        view = page.locator("#view").bounding_box()
        assert abs((heading["x"] + heading["width"]) - (view["x"] + view["width"])) <= 2
        _screens(page, f"lang-rtl-{size}", pseudo_words=True)
        assert unexpected(problems) == []
    finally:
        context.close()


def test_every_polish_time_follows_a_preposition() -> None:
    """Polish midnight in a sentence is "północy", the form after "o", "do" and "od" (js/time.js
    timeOf): a {time} without one before it would read "wtorek północy"."""
    loose = {
        key: words
        for key, words in _catalogue("pl").items()
        if "{time}" in words and not re.search(r"\b(o|do|od) \{time\}", words)
    }
    assert loose == {}


POLISH_DAY = "piątek, 27 marca"  # the pinned now: Friday 27 March 2026, London


@pytest.mark.parametrize("size", ["phone", "narrow", "text200"])
def test_polish_today_and_settings_in_polish_words_and_dates(
    browser: Any, live: Live, signed_in: list[dict[str, Any]], size: str
) -> None:
    context = _context(browser, live, size)
    try:
        context.add_cookies(signed_in)
        _routes(context, live, "pl")
        page, problems = _open(context, live, size)
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        heading = page.locator("#view-heading")
        expect(heading).to_contain_text("Dzisiaj")
        expect(heading).to_contain_text(POLISH_DAY)
        expect(page.locator("#tasks-heading")).to_have_text("Do zrobienia dzisiaj")
        expect(page.locator('a[data-route="settings"]')).to_have_text("Ustawienia")
        # Polish times in the 24-hour clock ("14:00"), no "pm".
        expect(page.locator(".task-when").first).to_have_text(re.compile(r"^\d{1,2}:\d\d$"))
        check_screen(page, f"lang-pl-{size}-today")
        # The progress lines are the server's, in Polish: Day 0 of 42 on the treatment day.
        progress = page.locator("#progress")
        expect(progress).to_contain_text("Dzień 0 z 42: dzień Twojego zabiegu.")
        expect(progress).to_contain_text("Twoje zadania w ostatnich 7 dniach")
        scroll_into_view(progress)
        if size == "text200":  # capturing past the screen resets the text size: the screen only
            screenshot(page, f"lang-pl-{size}-progress.png")
        else:
            screenshot_part(progress, f"lang-pl-{size}-progress.png")
        # Midnight after a preposition is "północy" ("do północy"), alone "północ".
        time_of = (
            "([at, alone]) => import('/js/time.js').then((m) => m.timeOf(at, 'UTC', { alone }))"
        )
        assert page.evaluate(time_of, ["2026-03-28T00:00:00Z", False]) == "północy"
        assert page.evaluate(time_of, ["2026-03-28T00:00:00Z", True]) == "północ"
        until = "(end) => import('/js/time.js').then((m) => m.untilText(end, 'UTC', '2026-03-27'))"
        assert page.evaluate(until, "2026-03-28T00:00:00Z").startswith("do północy")
        page.locator('a[data-route="settings"]').click()
        expect(page.locator("#view-heading")).to_have_text("Ustawienia")
        expect(page.get_by_label("Zwykle wstaję o")).to_be_visible()
        check_screen(page, f"lang-pl-{size}-settings")
        assert unexpected(problems) == []
    finally:
        context.close()


def test_the_language_card_is_left_out_while_the_server_offers_no_choice(
    browser: Any, live: Live, signed_in: list[dict[str, Any]]
) -> None:
    context = _context(browser, live, "phone")
    try:
        context.add_cookies(signed_in)
        page, problems = _open(context, live, "phone")
        page.goto("/#settings")
        expect(page.locator("#day-heading")).to_be_visible()
        offered = page.evaluate("fetch('/api/me').then((r) => r.json()).then((p) => p.languages)")
        expect(page.locator("#language-card")).to_have_count(1 if offered else 0)
        assert unexpected(problems) == []
    finally:
        context.close()


def test_settings_changes_the_language_and_says_a_refusal_by_the_field(
    browser: Any, live: Live, enrolled: Enrolled, signed_in: list[dict[str, Any]]
) -> None:
    context = _context(browser, live, "phone")
    try:
        context.add_cookies(signed_in)
        me = context.request.get(f"{live.base_url}/api/me").json()
        supported = any(item.get("code") == "pl" for item in me.get("languages", []))
        if not supported:
            # An older server: the list only by a route; its PATCH refuses the field.
            def offered(route: Any) -> None:
                response = route.fetch()
                body = response.json()
                if route.request.method == "GET":
                    body |= {"language": "en", "languages": LANGUAGES}
                route.fulfill(response=response, json=body)

            context.route("**/api/me", offered)
        page, problems = _open(context, live, "phone")
        page.goto("/#settings")
        choice = page.get_by_label("Show Aftercare in")
        expect(choice).to_have_value("en")
        if supported:
            choice.select_option("pl")
            page.get_by_role("button", name="Change language").click()
            expect(page.locator("html")).to_have_attribute("lang", "pl")
            expect(page.locator("#view-heading")).to_have_text("Ustawienia")
            expect(page.get_by_label("Pokazuj Aftercare w języku")).to_be_focused()
            with live.factory() as session:
                patient = session.get(Patient, enrolled.patient.id)
                assert patient is not None and patient.language == "pl"
            # A code the server does not offer: its sentence by the field, nothing changed.
            page.evaluate(
                "document.getElementById('language').append(new Option('Xx', 'xx', true, true))"
            )
            page.get_by_role("button", name="Zmień język").click()
        else:
            choice.select_option("pl")
            page.get_by_role("button", name="Change language").click()
        error = page.locator("#language-error")
        expect(error).to_be_visible()
        if supported:  # the server's refusal in the patient's language (app/api/error_words.py)
            expect(error).to_have_text("Wybierz język z listy.")
        expect(page.locator("#language")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#language")).to_be_focused()
        check_screen(page, "lang-settings-refused")
        assert unexpected(problems, 422) == []
    finally:
        context.close()


LANGUAGES = [{"code": "en", "name": "English"}, {"code": "pl", "name": "Polski"}]


@pytest.mark.parametrize("size", ["phone", "narrow", "text200"])
def test_the_enrolment_pages_in_the_browsers_language(browser: Any, live: Live, size: str) -> None:
    """Before the phone knows its patient, a Polish phone shows the pages and the server's
    refusal of a link in Polish."""
    context, page, problems = open_sized(browser, live, size, locale="pl-PL")
    try:
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        expect(page.get_by_role("heading", level=1)).to_have_text("Otwórz link z kliniki")
        check_screen(page, f"lang-pl-{size}-not-set-up")
        page.goto("/enrol#ABCD-EFGH-JKLM-NPQR")
        expect(page.get_by_role("heading", level=1)).to_have_text("Tego linku nie można użyć")
        expect(page.locator("main")).to_contain_text("Ten link jest nieprawidłowy.")
        check_screen(page, f"lang-pl-{size}-link-refused")
        assert unexpected(problems, 401, 404) == []
    finally:
        context.close()


@pytest.mark.parametrize("size", ["phone", "narrow", "text200"])
def test_the_enrolment_pages_in_the_pseudo_locale(browser: Any, live: Live, size: str) -> None:
    """The same pages in the language the phone last showed (kept on the phone), pseudo."""
    context, page, problems = open_sized(browser, live, size)
    try:
        context.add_init_script("localStorage.setItem('aftercare.language', 'qps-ploc')")
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("data-language", "qps-ploc")
        expect(page.get_by_role("heading", level=1)).to_contain_text("⟦")
        assert_all_pseudo(page, f"{size} not set up")
        check_screen(page, f"lang-pseudo-{size}-not-set-up")
        page.goto("/enrol#ABCD-EFGH-JKLM-NPQR")
        expect(page.locator("main")).to_contain_text("This link is not valid.")  # the server's
        assert_all_pseudo(page, f"{size} link refused")
        check_screen(page, f"lang-pseudo-{size}-link-refused")
        assert unexpected(problems, 401, 404) == []
    finally:
        context.close()


# Each level of answer, reached by what is ticked (never by words, which are the language's).
ANSWERS = (
    ("routine", 3, None, ".result-routine"),
    ("urgent", 3, "fever", ".result-urgent"),
    ("emergency", 3, "chest_pain_breathless", ".result-emergency"),
)


@pytest.mark.parametrize("code", ["pl", "qps-ploc"])
@pytest.mark.parametrize("size", ["phone", "narrow", "text200"])
def test_every_answer_in_the_language_fits(
    browser: Any, live: Live, signed_in: list[dict[str, Any]], code: str, size: str
) -> None:
    context = _context(browser, live, size)
    try:
        context.add_cookies(signed_in)
        _routes(context, live, code)
        page, problems = _open(context, live, size)
        for name, pain, sign, result in ANSWERS:
            page.goto("/")
            expect(page.locator(".task").first).to_be_visible()
            page.locator('a[data-route="report"]').click()
            expect(page.locator(".report-form")).to_be_visible()
            page.locator(".pain-option").nth(pain).click()
            if sign is not None:
                page.locator(f'label.sign:has(input[value="{sign}"])').click()
            page.locator("#report-submit").click()
            expect(page.locator(result)).to_be_visible()
            if code.startswith("qps"):
                assert_all_pseudo(page, f"{code} {size} {name}")
            check_screen(page, f"lang-{code}-{size}-answer-{name}")
        assert unexpected(problems) == []
    finally:
        context.close()
