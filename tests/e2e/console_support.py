"""What the console browser tests share: signing in, screen sizes, Ada, a clinic with history."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import select

from app.clinics.models import Clinic
from app.db import transaction
from app.patients.models import Patient
from app.staff.models import StaffRole, StaffUser
from app.staff.service import create_staff
from tests.e2e.pwa_support import Live, open_page, unexpected
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff, make_patient
from tests.support.push_service import FakePushService

DESK = {"width": 1366, "height": 768}
# A 390 x 844 phone, a 320 px one, and 200 % text (half the CSS pixels at twice the scale).
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1},
    "narrow": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1},
    "text200": {"viewport": {"width": 195, "height": 422}, "device_scale_factor": 2},
}
# Inside an element (a card, an open dialog): what sticks out of the window, text wider than
# its own box (a long word or address that did not wrap), and buttons smaller than 24 x 24 CSS
# px. Boxes that scroll on purpose (tables in their wrap, inputs) are not text overflow.
LAYOUT = """(root) => {
    const width = document.documentElement.clientWidth;
    const found = [];
    const name = (e) => `${e.tagName.toLowerCase()}.${e.className}`;
    for (const e of [root, ...root.querySelectorAll("*")]) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (r.right > width + 1 || r.left < -1) found.push(["sticks out", name(e)]);
        const scrolls = getComputedStyle(e).overflowX !== "visible"
            || e.matches("input, select, textarea");
        if (!scrolls && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) {
            found.push(["text overflows", name(e)]);
        }
        if (e.matches("button, a[href]") && (r.width < 24 || r.height < 24)) {
            const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
            found.push(["small target", `${name(e)} ${size}`]);
        }
    }
    return found;
}"""

ADMIN_EMAIL = "admin@riverside.example"
NURSE_EMAIL = "nurse@riverside.example"


class Phone:
    """A patient's paired phone talking to the live server over real HTTP (no browser)."""

    def __init__(self, live: Live) -> None:
        self.http = httpx.Client(base_url=live.base_url, timeout=10)
        # An open client left to the garbage collector warns (an error in this suite) in
        # whichever later test happens to collect it: close it when this test ends.
        live.at_teardown(self.http.close)

    def pair(self, code: str) -> None:
        response = self.http.post("/api/enrol", json={"code": code})
        assert response.status_code == 200, response.text

    def report(self, *, pain: int | None, signs: list[str] | None = None, note: str = "") -> None:
        body = {"client_id": str(uuid.uuid4()), "pain": pain, "signs": signs or [], "note": note}
        response = self.http.post("/api/me/reports", json=body)
        assert response.status_code == 201, response.text

    def subscribe(self, push: FakePushService) -> None:
        """Allow notifications: the phone's push subscription reaches the server."""
        key = self.http.get("/api/push/public-key").json()["public_key"]
        device = push.subscribe(application_server_key=key)
        response = self.http.post("/api/me/push-subscriptions", json=device.to_json())
        assert response.status_code == 201, response.text

    def tasks(self, first: date, last: date) -> list[dict[str, Any]]:
        params = {"from": first.isoformat(), "to": last.isoformat()}
        tasks: list[dict[str, Any]] = self.http.get("/api/me/tasks", params=params).json()
        return tasks

    def tick(self, task_id: str) -> None:
        response = self.http.post(f"/api/me/tasks/{task_id}/complete")
        assert response.status_code == 200, response.text


@dataclass
class Desk:
    """Riverside Vein Clinic: an admin, a clinician, and patients with some history."""

    clinic: Clinic
    admin: StaffUser
    nurse: StaffUser
    patients: dict[str, Any] = field(default_factory=dict)
    phones: dict[str, Phone] = field(default_factory=dict)


def add_staff(live: Live, clinic: Clinic, *, email: str, role: StaffRole, name: str) -> StaffUser:
    with transaction(live.factory) as session:
        return create_staff(
            session,
            clinic=session.merge(clinic),
            email=email,
            password=STAFF_PASSWORD,
            now=live.clock.now(),
            role=role,
            name=name,
        )


def riverside(live: Live, push: FakePushService | None = None) -> Desk:
    """The clinic; with `push`, three patients treated days ago, with history: the clock is
    stepped back to each treatment and forward through the tasks a paired phone ticks off."""
    now = live.clock.now()
    clinic, nurse = make_clinic_with_staff(live.factory, now=now, email=NURSE_EMAIL)
    admin = add_staff(live, clinic, email=ADMIN_EMAIL, role=StaffRole.ADMIN, name="Dr Grace Hopper")
    desk = Desk(clinic, admin, nurse)
    if push is None:
        return desk
    people = [  # name, days since treatment, tick every nth task (0: never paired)
        ("Mary Seacole", 6, 2),
        ("Florence Nightingale", 3, 1),
        ("Edith Cavell", 10, 0),
    ]
    try:
        for name, days_ago, nth in people:
            treated = now - timedelta(days=days_ago, hours=2)
            live.clock.set(treated + timedelta(minutes=30))
            patient, link = make_patient(
                live.factory,
                clinic=clinic,
                staff=nurse,
                now=live.clock.now(),
                settings=live.settings,
                name=name,
                treatment={"performed_at": treated.isoformat()},
            )
            desk.patients[name] = patient
            if not nth:
                continue
            phone = desk.phones[name] = Phone(live)
            phone.pair(link.code)
            phone.subscribe(push)
            due = [
                t
                for t in phone.tasks(treated.date(), now.date())
                if t["kind"] == "task" and datetime.fromisoformat(t["due_at"]) <= now
            ]
            for task in due[::nth]:
                at = datetime.fromisoformat(task["due_at"]) + timedelta(minutes=5)
                live.clock.set(max(at, live.clock.now()))
                phone.tick(task["id"])
    finally:
        live.clock.set(now)
    return desk


def sign_in(page: Any, email: str, password: str = STAFF_PASSWORD) -> None:
    """Sign in through the page; returns once the console's navigation shows."""
    page.goto("/console/#/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Console").wait_for()


def open_console(context: Any, live: Live) -> tuple[Any, list[str]]:
    """A page with its clock pinned to the server's; problems collects console errors."""
    return open_page(context, live.clock.now())


def ada(live: Live, *, treated_hours_ago: float | None = None, **fields: object) -> Patient:
    """Ada Lovelace, enrolled at Riverside now; treated that many hours ago, when given."""
    clinic = riverside(live)
    now = live.clock.now()
    if treated_hours_ago is not None:
        performed_at = now - timedelta(hours=treated_hours_ago)
        fields["treatment"] = {"performed_at": performed_at.isoformat()}
    patient, _ = make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=now, settings=live.settings,
        **fields,
    )  # fmt: skip
    return patient


@contextmanager
def at_size(browser: Any, live: Live, size: str) -> Iterator[tuple[Any, list[str]]]:
    """A page at one of SIZES (a phone, a 320 px one, 200 % text), its clock pinned to the
    server's, closed afterwards: the console's, or a patient's when the test opens their link."""
    context = browser.new_context(
        **SIZES[size], base_url=live.base_url, locale="en-GB", timezone_id="Europe/London",
        has_touch=True,
    )  # fmt: skip
    try:
        yield open_console(context, live)
    finally:
        context.close()


def no_problems(problems: list[str], *statuses: int) -> None:
    left = unexpected(problems, 401, *statuses)
    assert not left, left


def wait_until(check: Any, what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)
    return value


def staff_by_email(live: Live, email: str) -> StaffUser:
    with live.factory() as session:
        return session.exec(select(StaffUser).where(StaffUser.email == email)).one()
