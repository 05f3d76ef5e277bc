"""What the browser tests share: the live server, phone-sized pages, screenshots."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.enrolment.service import IssuedLink
from app.notifications.vapid import VapidKeys
from app.patients.models import Patient
from app.scheduler import build_dispatcher
from app.tasks.models import Occurrence
from tests.e2e.axe_support import assert_accessible

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
PHONE = {"width": 390, "height": 844}


class Live:
    """The running server and what tests reach into: database, clock, request log.

    `unplug()` stops the server and `plug_in()` starts it again on the same address: with
    `context.set_offline(True)` that makes "offline" airtight for the page and its service
    worker alike (Chromium's offline emulation can miss a request the worker lets through).
    """

    def __init__(
        self,
        app: FastAPI,
        settings: Settings,
        clock: FixedClock,
        factory: sessionmaker[Session],
        port: int,
    ) -> None:
        self.app, self.settings, self.clock, self.factory = app, settings, clock, factory
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.requests: list[tuple[str, str, int]] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._at_teardown: list[Callable[[], None]] = []

    def at_teardown(self, close: Callable[[], None]) -> None:
        """Run `close` when the test ends, pass or fail (clients of the server close with it)."""
        self._at_teardown.append(close)

    def tear_down(self) -> None:
        while self._at_teardown:
            self._at_teardown.pop()()
        self.unplug()

    @property
    def keys(self) -> VapidKeys:
        keys: VapidKeys = self.app.state.vapid_keys
        return keys

    def plug_in(self, sock: socket.socket | None = None) -> None:
        sock = sock or listening(self.port)
        config = uvicorn.Config(
            _recording(self.app, self.requests), log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        self._server, self._thread = server, thread

    def unplug(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def requests_to(self, method: str, path_part: str) -> list[tuple[str, str, int]]:
        return [r for r in self.requests if r[0] == method and path_part in r[1]]

    def occurrence(self, key: str) -> Occurrence:
        with self.factory() as session:
            return session.exec(select(Occurrence).where(Occurrence.key == key)).one()


def listening(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@dataclass
class Enrolled:
    patient: Patient
    link: IssuedLink


def _recording(app: FastAPI, log: list[tuple[str, str, int]]) -> Any:
    """The app, noting (method, path, status) of every HTTP request it answers."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def noting(message: Any) -> None:
            if message["type"] == "http.response.start":
                log.append((scope["method"], scope["path"], message["status"]))
            await send(message)

        await app(scope, receive, noting)

    return asgi


def open_page(context: Any, now: datetime) -> tuple[Any, list[str]]:
    """A new page with its clock pinned to `now`; returns it and a list that collects
    console errors and uncaught exceptions (a CSP violation shows up there too)."""
    page = context.new_page()
    page.clock.set_fixed_time(now)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    return page, problems


def unexpected(problems: list[str], *expected_statuses: int, offline: bool = False) -> list[str]:
    """Console problems, less the browser's notes about answers the test expects (a 401 on a
    phone without a session, a 410 for a used link, no network while offline)."""
    notes = tuple(f"status of {status} " for status in expected_statuses)
    if offline:
        notes += ("net::ERR_INTERNET_DISCONNECTED",)
    return [
        p
        for p in problems
        if not (p.startswith("Failed to load resource") and any(n in p for n in notes))
    ]


def scroll_into_view(locator: Any, tries: int = 3) -> None:
    """Scroll `locator` into view, finding it again if the page drew it anew meanwhile.

    The PWA draws Today again once its service worker takes control on a first visit (it
    fetches the plan once more, so that it opens offline later), and Playwright's scroll gives
    up on an element replaced while it waits for it to be still."""
    for attempt in range(tries):
        try:
            locator.scroll_into_view_if_needed()
            return
        except PlaywrightError as error:
            if "not attached" not in str(error) or attempt == tries - 1:
                raise


def screenshot(page: Any, name: str, *, full_page: bool = False) -> None:
    """Save the screen as `name` and fail on any WCAG 2.2 AA rule axe finds broken on it: every
    screen a test looks at is checked, so a new screen cannot skip the check."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / name), full_page=full_page)
    assert_accessible(page, name)


def screenshot_part(part: Any, name: str) -> None:
    """Save one element (a Playwright locator) as `name`; axe checks the whole page it is on."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    part.screenshot(path=str(SCREENS / name))
    assert_accessible(part.page, name)


# What the app fetches with every plan, and the service worker keeps for offline use.
KEPT_WITH_THE_PLAN = ("/api/me", "/api/me/tasks", "/api/me/progress")


def wait_for_offline_copy(
    page: Any, timeout: float = 10.0, *, including: tuple[str, ...] = ()
) -> None:
    """Until the service worker controls the page and keeps the profile, the plan and the
    progress fetched with it, and every API path in `including` (e.g. the report form and
    previous reports, which the report page fetches after it shows): going offline before
    they are kept makes the worker answer them 503, as it must for what it never saw (the
    worker stores an answer just after handing it to the page, so the page may be drawn
    before its copy is kept)."""
    deadline = time.monotonic() + timeout
    wanted = [*KEPT_WITH_THE_PLAN, *including]
    script = """async (wanted) => {
        if (!navigator.serviceWorker.controller) return false;
        const cache = await caches.open("aftercare-data");
        const kept = (await cache.keys()).map((request) => new URL(request.url).pathname);
        return wanted.every((path) => kept.includes(path));
    }"""
    while not page.evaluate(script, wanted):
        if time.monotonic() > deadline:
            raise AssertionError(f"the service worker did not keep an offline copy of {wanted}")
        page.wait_for_timeout(100)


def assert_status(live: Live, key: str, status: str, timeout: float = 10.0) -> None:
    """Wait until the server holds `status` for occurrence `key`: the page updates at once
    (optimistically), its request may still be on the way."""
    deadline = time.monotonic() + timeout
    while (current := live.occurrence(key).status) != status:
        if time.monotonic() > deadline:
            raise AssertionError(f"{key} is {current!r} on the server, expected {status!r}")
        time.sleep(0.05)


def assert_requests(live: Live, method: str, path: str, count: int, timeout: float = 10.0) -> None:
    """Wait until the server has answered `count` such requests (logged as answers start)."""
    deadline = time.monotonic() + timeout
    while (seen := len(live.requests_to(method, path))) != count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{seen} {method} {path} answered, expected {count}")
        time.sleep(0.05)


def deliver_push(context: Any, page: Any, *, scope: str, payload: bytes) -> None:
    """Hand a decrypted push message to the page's service worker for `scope`, as a push
    service would, once that worker is activated: a message delivered to a worker still
    installing can be lost, which made these tests fail now and then on a busy machine."""
    cdp = context.new_cdp_session(page)
    registrations: dict[str, str] = {}
    activated: set[str] = set()

    def registration_seen(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration["isDeleted"]:
                registrations["id"] = registration["registrationId"]

    def version_seen(event: dict[str, Any]) -> None:
        for version in event["versions"]:
            if version["status"] == "activated":
                activated.add(version["registrationId"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", registration_seen)
    cdp.on("ServiceWorker.workerVersionUpdated", version_seen)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 20
    while registrations.get("id") not in activated:
        assert time.monotonic() < deadline, f"no activated service worker for {scope}"
        page.wait_for_timeout(50)
    parts = urlsplit(scope)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": f"{parts.scheme}://{parts.netloc}",
            "registrationId": registrations["id"],
            "data": payload.decode(),
        },
    )


def push_until_shown(
    context: Any,
    page: Any,
    *,
    scope: str,
    payload: bytes,
    shown: Callable[[], list[dict[str, Any]]],
    attempts: int = 3,
) -> list[dict[str, Any]]:
    """Deliver `payload` to the worker until `shown()` lists a notification, as a push service
    redelivers a message nobody acknowledged: on a loaded machine Chromium now and then drops
    a message handed to a worker that has just activated. A worker that never shows one still
    fails, after `attempts` deliveries 10 s apart."""
    for _ in range(attempts):
        deliver_push(context, page, scope=scope, payload=payload)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if notifications := shown():
                return notifications
            page.wait_for_timeout(50)
    raise AssertionError(f"the service worker showed no notification after {attempts} pushes")


def dispatch_once(live: Live) -> None:
    """One dispatcher run, in its own thread: it runs its own event loop, and Playwright's
    sync API already has one running in this thread."""
    dispatcher = build_dispatcher(
        live.settings, session_factory=live.factory, clock=live.clock, keys=live.keys
    )
    failure: list[BaseException] = []

    def run() -> None:
        try:
            dispatcher.run_once()
        except BaseException as error:
            failure.append(error)
        finally:
            dispatcher.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not failure, failure
