"""Who may reach what: every route, every actor, every foreign id, from the app's route table."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from tests.support.actors import ACTORS, Actor, Cast, ClinicWorld, actor, build_cast
from tests.support.api import new_patient_body, push_subscription_body
from tests.support.factories import STAFF_PASSWORD

Audience = Literal["public", "staff", "admin", "patient"]
Body = dict[str, Any] | Callable[[Actor], dict[str, Any]] | None

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
# Path parameters that name an object of one clinic (`key` is a protocol's visit name, shared).
ID_PARAMS = {
    "patient_id", "occurrence_id", "treatment_id", "alert_id", "staff_id", "device_id",
    "session_id", "carer_id", "report_id",
}  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """Who a route is for and what its rightful caller gets (everyone, on a public route)."""

    audience: Audience
    status: int | tuple[int, ...]
    body: Body = None
    query: dict[str, str] | None = None


NOW = "2026-03-27T12:00:00+00:00"
EARLIER = "2026-03-27T11:00:00+00:00"
SUBSCRIPTION = push_subscription_body()

# The expectation table. Every route of the app must be here (a new one fails the test until it
# is added), in the order the matrix calls them: routes that change what later rows rely on
# (the plan, the phone's own session, the staff session) come last.
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/api/health"): Rule("public", 200),
    ("GET", "/api/push/public-key"): Rule("public", 200),
    ("GET", "/metrics"): Rule("public", 200),  # aggregate counters only, for the scraper
    ("GET", "/docs"): Rule("public", 200),  # Swagger UI, development only (production has none)
    ("GET", "/enrol"): Rule("public", 200),
    # The PWA's pseudo-locale catalogues (the test settings turn them on): no patient data.
    ("GET", "/locales/qps-ploc.json"): Rule("public", 200),
    ("GET", "/locales/qps-plocm.json"): Rule("public", 200),
    ("POST", "/api/enrol"): Rule("public", 404, {"code": "an-unknown-enrolment-code"}),
    ("POST", "/api/auth/login"): Rule(
        "public", 401, lambda who: {"email": f"{who.name}@x.example", "password": "not it at all"}
    ),
    ("POST", "/api/auth/login/totp"): Rule("public", 401, {"code": "123456"}),
    ("POST", "/api/auth/password-reset/check"): Rule("public", 404, {"token": "not-a-reset-link"}),
    ("POST", "/api/auth/password-reset"): Rule(
        "public", 404, {"token": "not-a-reset-link", "new_password": "a long new passphrase"}
    ),
    ("POST", "/api/push-actions/complete"): Rule(
        "public", 403, {"task_id": str(uuid.uuid4()), "token": "not-a-real-action-token"}
    ),
    ("POST", "/api/push-actions/snooze"): Rule(
        "public", 403, {"task_id": str(uuid.uuid4()), "token": "not-a-real-action-token"}
    ),
    ("POST", "/api/push/receipts"): Rule(
        "public",
        403,
        {"task_id": str(uuid.uuid4()), "token": "not-a-real-receipt-token", "event": "shown"},
    ),
    # Staff: their account.
    ("GET", "/api/auth/me"): Rule("staff", 200),
    ("PATCH", "/api/auth/me"): Rule("staff", 200, {"phone": "+44 7700 900123"}),
    ("POST", "/api/auth/password"): Rule(
        "staff", 422, {"current_password": "not the password", "new_password": "x" * 16}
    ),
    ("POST", "/api/auth/totp/setup"): Rule("staff", 422, {"password": "not the password"}),
    ("POST", "/api/auth/totp/enable"): Rule("staff", 409, {"code": "123456"}),
    ("POST", "/api/auth/totp/disable"): Rule(
        "staff", 409, {"password": STAFF_PASSWORD, "code": "123456"}
    ),
    ("GET", "/api/staff/me/sessions"): Rule("staff", 200),
    ("POST", "/api/staff/push-subscriptions"): Rule("staff", 201, SUBSCRIPTION),
    ("DELETE", "/api/staff/push-subscriptions"): Rule(
        "staff", 204, {"endpoint": SUBSCRIPTION["endpoint"]}
    ),
    # Admin: the clinic's accounts, settings and audit trail.
    ("GET", "/api/staff"): Rule("admin", 200),
    ("POST", "/api/staff"): Rule(
        "admin",
        422,
        {"email": "new@x.example", "name": "N", "role": "clinician", "password": "short"},
    ),
    ("PATCH", "/api/staff/{staff_id}"): Rule("admin", 200, {"name": "Renamed Nurse"}),
    ("POST", "/api/staff/{staff_id}/password-reset"): Rule("admin", 201),
    # Nobody in the matrix has a second factor to reset (409 totp_not_enabled, or
    # own_second_factor for the admin's own account): reaching the check is what counts here.
    ("POST", "/api/staff/{staff_id}/totp/reset"): Rule("admin", 409),
    ("GET", "/api/audit"): Rule("admin", 200),
    ("GET", "/api/audit.csv"): Rule("admin", 200),
    ("GET", "/api/audit/actions"): Rule("admin", 200),
    ("GET", "/api/clinic"): Rule("staff", 200),
    ("PATCH", "/api/clinic"): Rule("admin", 200, {"alert_escalation_minutes": 20}),
    # Staff: the clinic's patients.
    ("GET", "/api/patients"): Rule("staff", 200),
    ("GET", "/api/patients.csv"): Rule("staff", 200),
    ("GET", "/api/adherence"): Rule("staff", 200),
    ("GET", "/api/adherence/by-task.svg"): Rule("staff", 200),
    ("GET", "/api/adherence/by-day.svg"): Rule("staff", 200),
    ("POST", "/api/patients"): Rule(
        "staff", 201, new_patient_body(name="Edsger Dijkstra", phone="+44 7700 900333")
    ),
    ("GET", "/api/patients/{patient_id}"): Rule("staff", 200),
    ("PATCH", "/api/patients/{patient_id}"): Rule("staff", 200, {"notes": "Prefers mornings."}),
    ("POST", "/api/patients/{patient_id}/doppler"): Rule("staff", 200),
    # No mail server or SMS gateway here: "" (no second channel) is the choice that can pass.
    ("PUT", "/api/patients/{patient_id}/reminder-channel"): Rule("staff", 200, {"channel": ""}),
    ("PUT", "/api/me/reminder-channel"): Rule("patient", 200, {"channel": ""}),
    ("POST", "/api/patients/{patient_id}/enrolment/send"): Rule("staff", 422, {"channel": "email"}),
    ("GET", "/api/patients/{patient_id}/tasks"): Rule("staff", 200),
    ("GET", "/api/patients/{patient_id}/reports"): Rule("staff", 200),
    ("POST", "/api/patients/{patient_id}/reports/{report_id}/seen"): Rule(
        "staff", 200, {"reply": "We will call you this morning."}
    ),
    ("GET", "/api/patients/{patient_id}/appointments"): Rule("staff", 200),
    ("GET", "/api/patients/{patient_id}/devices"): Rule("staff", 200),
    ("GET", "/api/patients/{patient_id}/export"): Rule("staff", 200),
    ("GET", "/api/visits/to-book"): Rule("staff", 200),
    ("POST", "/api/patients/{patient_id}/enrolment"): Rule("staff", 201),
    ("POST", "/api/patients/{patient_id}/enrolment/revoke"): Rule("staff", 204),
    ("POST", "/api/patients/{patient_id}/devices/{device_id}/revoke"): Rule("staff", 204),
    ("DELETE", "/api/patients/{patient_id}"): Rule(
        "admin",
        422,
        {"confirm_name": "Somebody Else"},  # the wrong name: nothing is erased
    ),
    ("GET", "/api/alerts"): Rule("staff", 200),
    ("POST", "/api/alerts/{alert_id}/acknowledge"): Rule("staff", 200, {"note": "Phoned her."}),
    # The patient's phone.
    ("GET", "/api/me"): Rule("patient", 200),
    ("GET", "/api/me/calendar.ics"): Rule("patient", 200),
    ("GET", "/api/me/progress"): Rule("patient", 200),
    ("GET", "/api/me/tasks"): Rule("patient", 200),
    ("POST", "/api/me/tasks/{occurrence_id}/complete"): Rule("patient", 200),
    ("DELETE", "/api/me/tasks/{occurrence_id}/complete"): Rule("patient", 200),
    ("POST", "/api/me/tasks/{occurrence_id}/snooze"): Rule("patient", 200),
    ("GET", "/api/me/report-form"): Rule("patient", 200),
    ("POST", "/api/me/reports"): Rule(
        "patient", 201, lambda _: {"client_id": str(uuid.uuid4()), "pain": 1}
    ),
    ("GET", "/api/me/reports"): Rule("patient", 200),
    ("POST", "/api/me/push-subscriptions"): Rule("patient", 201, SUBSCRIPTION),
    ("GET", "/api/me/push-subscriptions"): Rule("patient", 200),
    ("GET", "/api/me/reach"): Rule("patient", 200),
    ("GET", "/api/me/carers"): Rule("patient", 200),
    ("POST", "/api/me/carers"): Rule("patient", 201, {"name": "Anna"}),
    ("POST", "/api/me/carers/{carer_id}/link"): Rule("patient", 201),
    ("PATCH", "/api/me/carers/{carer_id}"): Rule("patient", 200, {"reminders": True}),
    # The patient's own phone is no carer's: switching is refused, and that is what it gets.
    ("POST", "/api/me/switch"): Rule("patient", 403, {"patient_id": str(uuid.uuid4())}),
    ("GET", "/api/patients/{patient_id}/carers"): Rule("staff", 200),
    ("POST", "/api/patients/{patient_id}/carers"): Rule("staff", 201, {"name": "Ben"}),
    ("POST", "/api/patients/{patient_id}/carers/{carer_id}/link"): Rule("staff", 201),
    ("PATCH", "/api/patients/{patient_id}/carers/{carer_id}"): Rule(
        "staff", 200, {"reminders": False}
    ),
    ("DELETE", "/api/me/push-subscriptions"): Rule(
        "patient", 204, {"endpoint": SUBSCRIPTION["endpoint"]}
    ),
    # The same notes again from the second caller: nothing changes (200 too).
    ("PATCH", "/api/patients/{patient_id}/treatments/{treatment_id}"): Rule(
        "staff", 200, {"notes": "access matrix", "reason": "access matrix"}
    ),
    # The patient's only treatment (the re-treatment comes later): a plan needs it.
    ("POST", "/api/patients/{patient_id}/treatments/{treatment_id}/void"): Rule(
        "staff", 409, {"reason": "access matrix"}
    ),
    # Recorded as done, not booked ahead: nothing to confirm.
    ("POST", "/api/patients/{patient_id}/treatments/{treatment_id}/confirm"): Rule("staff", 409),
    # Last: these replan (new occurrence ids) or end the caller's own session.
    ("PATCH", "/api/me/preferences"): Rule("patient", 200, {"show_task_titles": True}),
    # A re-treatment must follow the last one: the clinician's an hour ago, then the admin's now.
    ("POST", "/api/patients/{patient_id}/treatments"): Rule(
        "staff", 201, lambda who: {"performed_at": NOW if who.admin else EARLIER, "method": "laser"}
    ),
    ("PUT", "/api/patients/{patient_id}/appointments/{key}"): Rule(
        "staff", 200, {"booked_at": "2026-07-01T09:00:00+01:00"}
    ),
    # Version 1 of the patient's protocol: the first caller moves them, the second finds them
    # there already (a no-op, also 200).
    ("PUT", "/api/patients/{patient_id}/protocol"): Rule(
        "staff", 200, {"version": 1, "reason": "access matrix"}
    ),
    # The first of the clinic's two staff removes the booking, the second finds none.
    ("DELETE", "/api/patients/{patient_id}/appointments/{key}"): Rule("staff", (204, 404)),
    # A session is its owner's: the clinic's clinician ends their spare one (204), the clinic's
    # admin gets 404 like any other caller; then signing out everywhere else ends nothing more.
    ("DELETE", "/api/staff/me/sessions/{session_id}"): Rule("staff", (204, 404)),
    # Removing the carer: the first rightful caller removes it (204), a second finds it gone.
    ("DELETE", "/api/patients/{patient_id}/carers/{carer_id}"): Rule("staff", (204, 404)),
    ("DELETE", "/api/me/carers/{carer_id}"): Rule("patient", (204, 404)),
    ("POST", "/api/staff/me/sessions/end-others"): Rule("staff", 200),
    ("POST", "/api/auth/logout"): Rule("public", 204),
    ("POST", "/api/me/logout"): Rule("public", 204),
}


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app answers, `{key:path}` written `{key}`."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            path = PARAM.sub(lambda m: "{" + m[1] + "}", str(context.path))
            found += [(method, path) for method in sorted(context.methods or ())]
    return found


def expected(rule: Rule, who: Actor, owners: set[int]) -> int | tuple[int, ...]:
    """The answer `who` must get when the path's ids belong to the clinics in `owners`."""
    if rule.audience == "public":
        return rule.status
    wanted = "patient" if rule.audience == "patient" else "staff"
    if who.kind != wanted:
        return 401  # a patient's cookie opens no staff route, nor a staff cookie a phone's
    if rule.audience == "admin" and not who.admin:
        return 403
    if owners and owners != {who.clinic}:
        return 404  # another clinic's (or another patient's) object: exactly like none
    return rule.status


@dataclass(frozen=True)
class Call:
    who: Actor
    method: str
    path: str
    url: str
    owners: frozenset[int]
    body: dict[str, Any] | None
    query: dict[str, str] | None


def calls_for(method: str, path: str, rule: Rule, cast: Cast) -> list[Call]:
    """Every actor, with every mix of the two clinics' ids in the path; the rightful last."""
    names = [m[1] for m in PARAM.finditer(path) if m[1] in ID_PARAMS]
    calls = []
    for name in ACTORS:
        who = actor(name)
        for sources in itertools.product((1, 2), repeat=len(names)):
            ids = dict(cast.clinics[1].ids())
            ids.update({p: cast.clinics[k].ids()[p] for p, k in zip(names, sources, strict=True)})
            url = PARAM.sub(lambda m, ids=ids: ids[m[1]], path)  # type: ignore[misc]
            body = rule.body(who) if callable(rule.body) else rule.body
            calls.append(Call(who, method, path, url, frozenset(sources), body, rule.query))
    # Refusals first: they must change nothing the rightful calls then rely on.
    return sorted(calls, key=lambda c: expected(rule, c.who, set(c.owners)) == rule.status)


def send(browser: TestClient, call: Call, url: str | None = None) -> Any:
    return browser.request(call.method, url or call.url, json=call.body, params=call.query)


def secrets_of(world: ClinicWorld) -> list[str]:
    """What must never reach another clinic's staff, another patient or a stranger."""
    return [
        world.patient_name,
        world.patient_phone,
        *(str(i) for i in (world.patient_id, world.alert_id, world.occurrence_id)),
        *(str(i) for i in (world.admin_id, world.clinician_id, world.spare_device_id)),
    ]


def random_ids(path: str, cast: Cast) -> str:
    ids = {name: str(uuid.uuid4()) for name in ID_PARAMS} | {"key": cast.clinics[1].appointment_key}
    return PARAM.sub(lambda m: ids[m[1]], path)


@pytest.fixture
def cast(
    app: FastAPI, factory: sessionmaker[Session], settings: Settings, clock: FixedClock
) -> Iterator[Cast]:
    with ExitStack() as stack:
        yield build_cast(app, factory, settings, now=clock.now(), stack=stack)


class TestTheTableCoversTheApp:
    def test_every_route_has_an_expectation(self, app: FastAPI) -> None:
        routes = route_table(app)
        missing = [route for route in routes if route not in RULES]
        assert missing == [], (
            f"add these routes to RULES (who may call them, what they get): {missing}"
        )
        stale = [route for route in RULES if route not in routes]
        assert stale == [], f"RULES names routes the app no longer has: {stale}"

    def test_every_id_parameter_is_known(self, app: FastAPI) -> None:
        params = {m[1] for _, path in route_table(app) for m in PARAM.finditer(path)}
        assert params <= ID_PARAMS | {"key"}, "a new kind of id: give each clinic one in actors.py"


class TestMatrix:
    def test_every_actor_gets_the_expected_answer_for_every_id(
        self, app: FastAPI, cast: Cast
    ) -> None:
        wrong: list[str] = []
        leaks: list[str] = []
        counted = 0
        for (method, path), rule in RULES.items():
            for call in calls_for(method, path, rule, cast):
                counted += 1
                want = expected(rule, call.who, set(call.owners))
                response = send(cast[call.who.name], call)
                status = response.status_code
                if status not in (want if isinstance(want, tuple) else (want,)):
                    wrong.append(
                        f"{call.who.name} {method} {call.url}: {status} (want {want}) "
                        f"{response.text[:120]}"
                    )
                    continue
                if want == 404 and rule.status != 404:
                    # Not yours must read exactly like nothing at all.
                    missing = send(cast[call.who.name], call, random_ids(path, cast))
                    if (missing.status_code, missing.json()["code"]) != (
                        404,
                        response.json()["code"],
                    ):
                        wrong.append(
                            f"{call.who.name} {method} {call.url}: differs from a missing id"
                        )
                if status < 300:
                    others = [k for k in (1, 2) if k != call.who.clinic]
                    for k in others:
                        found = [s for s in secrets_of(cast.clinics[k]) if s in response.text]
                        if found:
                            leaks.append(f"{call.who.name} {method} {call.url} shows {found}")
        assert wrong == [], "\n".join(wrong)
        assert leaks == [], "\n".join(leaks)
        assert counted > 500  # the product really ran (7 actors, ~60 routes, id mixes)


class TestRoutesWithoutIds:
    """The answers each actor gets on routes that take no id (also part of the matrix above)."""

    @pytest.mark.parametrize(
        ("path", "answers"),
        [
            (
                "/api/patients",
                {"anonymous": 401, "patient_1": 401, "clinician_1": 200, "admin_1": 200},
            ),
            (
                "/api/staff",
                {"anonymous": 401, "patient_1": 401, "clinician_1": 403, "admin_1": 200},
            ),
            (
                "/api/audit",
                {"anonymous": 401, "patient_2": 401, "clinician_2": 403, "admin_2": 200},
            ),
            ("/api/me", {"anonymous": 401, "patient_2": 200, "clinician_2": 401, "admin_2": 401}),
        ],
    )
    def test_documented_answers(self, cast: Cast, path: str, answers: dict[str, int]) -> None:
        got = {name: cast[name].get(path).status_code for name in answers}
        assert got == answers

    def test_a_clinicians_refusal_names_the_reason(self, cast: Cast) -> None:
        refused = cast["clinician_1"].patch("/api/clinic", json={"alert_escalation_minutes": 5})
        assert (refused.status_code, refused.json()["code"]) == (403, "admin_only")

    def test_lists_hold_only_the_clinics_own(self, cast: Cast) -> None:
        for k, other in ((1, 2), (2, 1)):
            staff = cast[f"admin_{k}"]
            patients = staff.get("/api/patients").json()["items"]
            assert [p["id"] for p in patients] == [str(cast.clinics[k].patient_id)]
            alerts = staff.get("/api/alerts").json()
            assert {a["id"] for a in alerts} == {str(cast.clinics[k].alert_id)}
            accounts = {a["id"] for a in staff.get("/api/staff").json()}
            assert accounts == {str(cast.clinics[k].admin_id), str(cast.clinics[k].clinician_id)}
            assert str(cast.clinics[other].patient_id) not in staff.get("/api/audit").text


class TestExpiredAndRevokedSessions:
    def test_a_revoked_phone_is_a_stranger(self, cast: Cast) -> None:
        world = cast.clinics[1]
        phone = cast["patient_1"]
        devices = cast["admin_1"].get(f"/api/patients/{world.patient_id}/devices").json()
        for device in devices:
            revoke = f"/api/patients/{world.patient_id}/devices/{device['id']}/revoke"
            assert cast["admin_1"].post(revoke).status_code == 204
        assert phone.get("/api/me").status_code == 401
        assert phone.post(f"/api/me/tasks/{world.occurrence_id}/complete").status_code == 401

    def test_a_disabled_account_is_a_stranger(self, cast: Cast) -> None:
        world = cast.clinics[1]
        patch = cast["admin_1"].patch(f"/api/staff/{world.clinician_id}", json={"disabled": True})
        assert patch.status_code == 200, patch.text
        assert cast["clinician_1"].get(f"/api/patients/{world.patient_id}").status_code == 401

    def test_an_expired_staff_session_is_a_stranger(
        self, cast: Cast, clock: FixedClock, settings: Settings
    ) -> None:
        clock.advance(settings.staff_session_absolute + timedelta(minutes=1))
        assert cast["admin_1"].get("/api/auth/me").status_code == 401
