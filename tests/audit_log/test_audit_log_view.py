"""The audit log people read (GET /api/audit, /api/audit.csv): names not ids, each action in
words, a filter by patient name, one entry per page view, and a CSV that Excel opens."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.audit_log.view import ACTION_LABELS
from app.clock import FixedClock
from app.shared.spreadsheet import BOM
from app.staff.models import StaffRole
from tests.support.api import enrol, log_in, sign_in_staff
from tests.support.factories import add_staff

ADMIN = "admin@riverside.example"
APP = Path(__file__).resolve().parents[2] / "app"


@pytest.fixture
def admin(client: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> TestClient:
    sign_in_staff(client, factory, now=clock.now(), email=ADMIN, role=StaffRole.ADMIN)
    return client


def items(admin: TestClient, **params: Any) -> list[dict[str, Any]]:
    answer = admin.get("/api/audit", params=params)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


def view_the_page(browser: TestClient, patient_id: str) -> None:
    """What the console's patient page asks for, in its order."""
    for path in ("", "/tasks", "/reports", "/appointments", "/devices"):
        assert browser.get(f"/api/patients/{patient_id}{path}").status_code == 200


class TestReadable:
    def test_names_and_words_not_ids(self, admin: TestClient) -> None:
        patient = enrol(admin, name="Zoë Ångström")
        newest = items(admin)[0]
        assert (newest["action"], newest["action_label"]) == (
            "patient.create",
            "Enrolled the patient",
        )
        assert (newest["patient_name"], newest["patient_erased"]) == ("Zoë Ångström", False)
        assert newest["staff_name"] == ADMIN  # no name given: the address
        assert newest["patient_id"] == patient["id"]

    def test_an_erased_patient_keeps_the_id_and_loses_the_name(self, admin: TestClient) -> None:
        patient = enrol(admin, name="Mary Seacole")
        erased = admin.request(
            "DELETE", f"/api/patients/{patient['id']}", json={"confirm_name": "Mary Seacole"}
        )
        assert erased.status_code in (200, 204), erased.text
        created = next(e for e in items(admin) if e["action"] == "patient.create")
        assert (created["patient_name"], created["patient_erased"]) == (None, True)

    def test_every_recorded_action_has_words(self) -> None:
        recorded = set()
        for path in APP.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            recorded |= set(re.findall(r'(?:action=|audit\(\s*)"([a-z_]+\.[a-z_]+)"', text))
            recorded |= set(re.findall(r'^[A-Z_]+ = "([a-z_]+\.[a-z_]+)"', text, re.MULTILINE))
        recorded = {a for a in recorded if not a.startswith("uvicorn.")}  # a logger's name
        assert len(recorded) > 30  # the scan finds the app's actions
        assert recorded - set(ACTION_LABELS) == set()


def test_the_actions_for_the_filter(admin: TestClient) -> None:
    listed = admin.get("/api/audit/actions").json()
    assert {a["action"]: a["label"] for a in listed} == ACTION_LABELS
    assert [a["label"] for a in listed] == sorted(ACTION_LABELS.values())


class TestFilterByPatientName:
    def test_part_of_a_name_in_any_case(self, admin: TestClient) -> None:
        ada, grace = enrol(admin, name="Ada Lovelace"), enrol(admin, name="Grace Hopper")
        found = {e["patient_id"] for e in items(admin, patient="LOVE")}
        assert found == {ada["id"]}
        assert grace["id"] not in found

    def test_wildcards_are_only_themselves(self, admin: TestClient) -> None:
        enrol(admin, name="Ada Lovelace")
        assert items(admin, patient="%") == []
        assert items(admin, patient="_") == []

    def test_no_match_is_an_empty_page(self, admin: TestClient) -> None:
        enrol(admin, name="Ada Lovelace")
        assert items(admin, patient="nobody") == []


class TestOneEntryPerPageView:
    def test_the_patient_page_is_one_read(self, admin: TestClient) -> None:
        patient = enrol(admin)
        view_the_page(admin, patient["id"])
        reads = [e["action"] for e in items(admin) if e["action"].endswith(".read")]
        assert reads == ["patient.read"]

    def test_a_panel_read_alone_is_still_recorded(self, admin: TestClient) -> None:
        patient = enrol(admin)
        assert admin.get(f"/api/patients/{patient['id']}/reports").status_code == 200
        assert items(admin)[0]["action"] == "reports.read"

    def test_a_later_visit_is_a_new_view(self, admin: TestClient, clock: FixedClock) -> None:
        patient = enrol(admin)
        view_the_page(admin, patient["id"])
        clock.advance(timedelta(minutes=11))
        view_the_page(admin, patient["id"])
        reads = [e["action"] for e in items(admin) if e["action"].endswith(".read")]
        assert reads == ["patient.read", "patient.read"]


class TestCsv:
    def test_excel_reads_it_as_utf8_with_the_clinics_times(self, admin: TestClient) -> None:
        enrol(admin, name='=HYPERLINK("http://evil")')
        enrol(admin, name="Zoë Ångström")
        answer = admin.get("/api/audit.csv")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.headers["content-disposition"].startswith('attachment; filename="audit-')
        text = answer.content.decode("utf-8")
        assert text.startswith(BOM)
        rows = list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))
        names = [r["patient"] for r in rows if r["action"] == "patient.create"]
        assert names == ["Zoë Ångström", '\'=HYPERLINK("http://evil")']  # newest first, defused
        # Pinned now: 12:00 UTC on 27 March 2026 is 12:00 GMT in London (summer time from the 29th).
        assert rows[0]["time"] == "2026-03-27 12:00 GMT"
        assert rows[0]["what"] == "Enrolled the patient"

    def test_the_filter_applies_and_the_export_is_audited(self, admin: TestClient) -> None:
        enrol(admin, name="Ada Lovelace")
        enrol(admin, name="Grace Hopper")
        text = admin.get("/api/audit.csv", params={"patient": "hopper"}).content.decode()
        rows = list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))
        assert {r["patient"] for r in rows} == {"Grace Hopper"}
        newest = items(admin)[0]
        assert (newest["action"], newest["detail"]) == ("audit.export", {"filtered": True})

    def test_only_for_admins(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock, app: Any
    ) -> None:
        sign_in_staff(client, factory, now=clock.now(), email=ADMIN, role=StaffRole.ADMIN)
        add_staff(factory, colleague_of=ADMIN, email="nurse@riverside.example", now=clock.now())
        with TestClient(app) as nurse:
            log_in(nurse)
            answer = nurse.get("/api/audit.csv")
            assert (answer.status_code, answer.json()["code"]) == (403, "admin_only")
