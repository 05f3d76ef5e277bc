"""Browser tests of the patient PWA and the console: a real server on loopback, Debian's
Chromium via Playwright.

Skipped only when /usr/bin/chromium is absent, and then only outside CI (.ci/run installs it
and sets AFTERCARE_REQUIRE_BROWSER, which turns the skip into a failure). Each test gets its
own server (the app with the pinned FixedClock and the test database) and its own browser
context; the browser is shared by the whole run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from app.main import create_app
from tests.e2e.console_support import DESK
from tests.e2e.layout_support import MEASUREMENTS
from tests.e2e.pwa_support import CHROMIUM, CHROMIUM_ARGS, PHONE, Enrolled, Live, listening
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.push_service import FakePushService


def pytest_sessionstart(session: pytest.Session) -> None:
    """Each run's measurements start afresh (tests/e2e/measurements.py reads them)."""
    MEASUREMENTS.unlink(missing_ok=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failed browser test, what every open page showed: a CI log has no screenshots, and
    a timeout's call log says what was awaited, not what was on the screen instead."""
    outcome = yield
    report = outcome.get_result()
    browser = getattr(item, "funcargs", {}).get("browser")
    if report.when != "call" or not report.failed or browser is None:
        return
    report.sections.append(("open pages", "\n\n".join(_what_pages_show(browser))))


def _what_pages_show(browser: Any) -> list[str]:
    shown = []
    for context in browser.contexts:
        for page in context.pages:
            try:
                text = page.evaluate("document.body ? document.body.innerText : ''")
            except Exception as error:  # a closed or crashed page: say so, never hide the failure
                text = f"(could not read the page: {error})"
            shown.append(f"{page.url}\n{text[:1500]}")
    return shown


# Per module, not per session: while Playwright's sync API is started it keeps an event loop
# running in this thread, and the rest of the suite runs event loops of its own.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("AFTERCARE_REQUIRE_BROWSER"):  # set by .ci/run: CI never skips these
            pytest.fail(reason)
        pytest.skip(f"{reason}: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def push_receiver() -> Iterator[FakePushService]:
    with FakePushService() as service:
        yield service


@pytest.fixture
def live(
    engine: Engine, settings: Settings, clock: FixedClock, factory: sessionmaker[Session]
) -> Iterator[Live]:
    sock = listening()
    port = sock.getsockname()[1]
    live_settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    app = create_app(live_settings, clock=clock, engine=engine)
    live = Live(app, live_settings, clock, factory, port)
    live.plug_in(sock)
    yield live
    live.tear_down()


@pytest.fixture
def enrolled(live: Live) -> Enrolled:
    """Ada, treated at the pinned now (Fri 27 Mar 2026 12:00 London), link not yet used.

    Her day: "Raise your legs" at 2, 4, 6, 8 and 10 pm (the first can be ticked now), the
    evening check at 8 pm, no aspirin until 8 May, a visit on Fri 10 April.
    """
    now = live.clock.now()
    clinic, staff = make_clinic_with_staff(live.factory, now=now)
    patient, link = make_patient(
        live.factory, clinic=clinic, staff=staff, now=now, settings=live.settings
    )
    return Enrolled(patient, link)


@pytest.fixture
def handset(browser: Any, live: Live) -> Iterator[Any]:
    """A phone-sized browser context (390 x 844, London); open_page() pins its clock."""
    context = browser.new_context(
        viewport=PHONE,
        base_url=live.base_url,
        locale="en-GB",
        timezone_id="Europe/London",
        has_touch=True,
    )
    yield context
    context.close()


@pytest.fixture
def desk(browser: Any, live: Live) -> Iterator[Any]:
    """A laptop-sized browser context (1366 x 768, London), as on a clinic desk."""
    context = browser.new_context(
        viewport=DESK, base_url=live.base_url, locale="en-GB", timezone_id="Europe/London"
    )
    yield context
    context.close()
