"""Hostile requests get a clear 4xx with an `{code, detail}` body, and the service keeps answering.

Each test sends a family of bad inputs through one signed-in staff browser and one paired
phone (setting those up is the slow part), checking after every request that the service
still answers and that nothing was stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.api import enrol, new_patient_body, pair_phone

TEN_MB = 10 * 1024 * 1024
JSON = {"content-type": "application/json"}
FAR_DATES = [
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",  # in UTC: year 10000
    "0001-01-01T00:00:00+14:00",  # in UTC: year 0
    "0001-01-01T00:00:00+00:00",
]


@dataclass
class People:
    staff: TestClient
    phone: TestClient
    patient_id: str

    def refused(self, response: httpx.Response, *statuses: int) -> None:
        """A 4xx (one of `statuses`) with the one error shape; the service still answers;
        the patient has no report (none of these requests may store one)."""
        request = f"{response.request.method} {response.request.url.path}"
        assert response.status_code in statuses, (request, response.status_code, response.text)
        body = response.json()
        assert isinstance(body.get("code"), str) and body["code"], (request, body)
        assert isinstance(body.get("detail"), str) and body["detail"], (request, body)
        assert self.staff.get("/api/health").json() == {"status": "ok"}
        assert self.phone.get("/api/me/reports").json() == []


@pytest.fixture
def people(staff: TestClient, phone: TestClient) -> People:
    created = enrol(staff)
    pair_phone(phone, created["enrolment"]["code"])
    return People(staff, phone, created["id"])


def report_with(fragment: str) -> bytes:
    """A report body with `fragment` as the pain, written by hand (json.dumps would refuse)."""
    return f'{{"client_id": "{uuid.uuid4()}", "pain": {fragment}}}'.encode()


def test_ten_megabytes_are_refused_before_parsing(people: People) -> None:
    body = b'{"note": "' + b"x" * TEN_MB + b'"}'
    people.refused(people.phone.post("/api/me/reports", content=body, headers=JSON), 413)
    people.refused(people.staff.post("/api/patients", content=body, headers=JSON), 413)
    people.refused(people.staff.post("/api/auth/login", content=body, headers=JSON), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        for _ in range(TEN_MB // 65536):
            yield b" " * 65536

    people.refused(people.phone.post("/api/me/reports", content=chunks(), headers=JSON), 413)


def test_deeply_nested_json(people: People) -> None:
    for levels in (100_000, 30_000, 2_000):  # over the body limit, and within it
        body = b"[" * levels + b"]" * levels
        people.refused(people.phone.post("/api/me/reports", content=body, headers=JSON), 400, 413)
    inside = report_with("3")[:-1] + b', "signs": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    people.refused(people.phone.post("/api/me/reports", content=inside, headers=JSON), 400)


@pytest.mark.parametrize(
    "body",
    [
        b'{"client_id": "00000000-0000-4000-8000-000000000000", "pain": 3, "note": "\xff\xfe"}',
        b"\xc3\x28\xa0\xa1",
        b'{"note": "\xed\xa0\x80"}',  # a lone surrogate, UTF-8 encoded (not valid UTF-8)
        b"{",
    ],
    ids=["bad-byte-in-note", "bad-bytes", "lone-surrogate", "truncated"],
)
def test_unreadable_bodies(people: People, body: bytes) -> None:
    people.refused(people.phone.post("/api/me/reports", content=body, headers=JSON), 400, 422)
    people.refused(people.staff.post("/api/patients", content=body, headers=JSON), 400, 422)
    people.refused(people.staff.post("/api/auth/login", content=body, headers=JSON), 400, 422)


def test_numbers_out_of_any_range(people: People) -> None:
    for pain in [
        str(10**400),
        str(-(10**400)),
        "9" * 5000,  # past Python's 4300-digit limit for int("...")
        "1e400",  # a float that overflows to infinity
        "NaN",
        "Infinity",
        "-Infinity",
        "3.5",
    ]:
        response = people.phone.post("/api/me/reports", content=report_with(pain), headers=JSON)
        people.refused(response, 400, 422)
    for body in [b'{"email": NaN, "password": Infinity}', b'{"code": 1e999}']:
        people.refused(people.staff.post("/api/auth/login", content=body, headers=JSON), 400, 422)
        people.refused(people.phone.post("/api/enrol", content=body, headers=JSON), 400, 422)


def test_far_future_and_far_past_instants(people: People) -> None:
    staff, patient_id = people.staff, people.patient_id
    for instant in [*FAR_DATES, "2026-03-27T10:00:00+99:00"]:
        treatment = {"performed_at": instant, "method": "sclerotherapy"}
        people.refused(staff.post(f"/api/patients/{patient_id}/treatments", json=treatment), 422)
        people.refused(
            staff.post("/api/patients", json=new_patient_body(performed_at=instant)), 422
        )
        booking = {"booked_at": instant}
        path = f"/api/patients/{patient_id}/appointments/follow_up/1"
        people.refused(staff.put(path, json=booking), 409, 422)
    assert len(staff.get("/api/patients").json()["items"]) == 1  # nobody enrolled by mistake


def test_far_days_asked_of_the_calendar(people: People) -> None:
    for params in [
        {"date": "9999-12-31"},
        {"date": "0001-01-01"},
        {"from": "9999-12-30", "to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"date": "10000-01-01"},
    ]:
        response = people.phone.get("/api/me/tasks", params=params)
        if response.status_code == 200:  # an empty day is a fair answer too
            assert response.json() == [], params
        else:
            people.refused(response, 422)


def test_far_days_asked_of_the_plan_by_staff(people: People) -> None:
    path = f"/api/patients/{people.patient_id}/tasks"
    for params in [
        {"from": "9999-12-31"},
        {"from": "9999-12-01"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "9999-12-30", "to": "9999-12-31"},
    ]:
        response = people.staff.get(path, params=params)
        if response.status_code == 200:
            assert response.json() == [], params
        else:
            people.refused(response, 422)


def test_huge_numbers_in_queries(people: People) -> None:
    huge = str(10**400)
    for path, params in [
        ("/api/audit", {"before_id": huge}),
        ("/api/audit", {"limit": huge}),
        ("/api/audit", {"before_id": "-" + huge}),
        ("/api/patients", {"offset": huge}),
        ("/api/patients", {"limit": huge}),
        ("/api/alerts", {"limit": huge}),
        ("/api/audit", {"before_id": str(2**63)}),
        ("/api/patients", {"offset": str(2**63)}),
    ]:
        response = people.staff.get(path, params=params)
        if response.status_code != 200:
            people.refused(response, 400, 403, 422)
