"""Staff patient routes: enrol, list, view, re-treat, re-issue links; clinic isolation."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.patients.models import Patient, Treatment
from app.staff.models import AuditEvent
from app.tasks.models import Occurrence
from tests.support.api import enrol, log_in, new_patient_body, pair_phone, sign_in_staff


def count(factory: sessionmaker[Session], model: Any) -> int:
    with factory() as session:
        return session.exec(select(func.count()).select_from(model)).one()


class TestEnrol:
    def test_creates_patient_plan_and_one_time_link(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        link = created["enrolment"]
        assert link["url"] == f"http://testserver/enrol#{link['code']}"
        assert len(link["code"]) >= 22  # >= 128 bits of URL-safe base64
        assert link["expires_at"].startswith("2026-04-10T12:00:00")
        plan = staff.get(f"/api/patients/{created['id']}/tasks").json()
        tasks = {item["task"] for item in plan}
        assert tasks == {
            "keep_dry", "elevate_legs", "remove_stocking", "walk_gently", "hydrocortisone",
            "stockings_on", "avoid_aspirin", "symptom_check", "follow_up",
        }  # fmt: skip
        assert count(factory, Occurrence) == len(plan)

    def test_needs_a_signed_in_staff_user(self, client: TestClient) -> None:
        response = client.post("/api/patients", json=new_patient_body())
        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"time_zone": "Mars/Olympus_Mons"}, "unknown time zone"),
            ({"time_zone": "../../etc/passwd"}, "unknown time zone"),
            ({"name": "   "}, "name"),
            ({"phone": "call me maybe"}, "phone"),
            ({"wake_time": "25:00"}, "wake_time"),
            ({"wake_time": "07:30", "bed_time": "07:30"}, "at least 8 hours"),
            ({"wake_time": "09:00", "bed_time": "14:00"}, "at least 8 hours"),
            ({"performed_at": "2026-03-27T10:00:00"}, "timezone"),
            ({"performed_at": "2026-03-27T14:00:00+00:00"}, "future"),
            ({"performed_at": "2027-03-27T10:00:00+00:00"}, "future"),
            ({"performed_at": "2026-01-01T10:00:00+00:00"}, "8 weeks"),
            ({"performed_at": "yesterday"}, "performed_at"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_written(
        self,
        staff: TestClient,
        factory: sessionmaker[Session],
        fields: dict[str, Any],
        message: str,
    ) -> None:
        performed_at = fields.pop("performed_at", "2026-03-27T10:00:00+00:00")
        response = staff.post("/api/patients", json=new_patient_body(performed_at, **fields))
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["code"] == "invalid_input"
        assert message in body["detail"]
        assert (
            count(factory, Patient) == count(factory, Treatment) == count(factory, Occurrence) == 0
        )

    def test_method_must_be_known(self, staff: TestClient) -> None:
        body = new_patient_body()
        body["treatment"]["method"] = "magic"
        assert staff.post("/api/patients", json=body).status_code == 422

    def test_patient_creation_is_audited(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        with factory() as session:
            actions = session.exec(
                select(AuditEvent.action).where(AuditEvent.patient_id == uuid.UUID(created["id"]))
            ).all()
        assert actions == ["patient.create"]


class TestListAndRead:
    def test_lists_only_this_clinics_patients_by_name(
        self, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock, app: Any
    ) -> None:
        for name in ("Zoe Zed", "Al Able", "Mo Middle"):
            enrol(staff, name=name)
        with TestClient(app) as other:
            sign_in_staff(
                other, factory, now=clock.now(), clinic_name="Hill Clinic", email="dr@hill.example"
            )
            enrol(other, name="Hill Patient")
            assert [p["name"] for p in other.get("/api/patients").json()["items"]] == [
                "Hill Patient"
            ]
        page = staff.get("/api/patients", params={"limit": 2}).json()
        assert page["total"] == 3
        assert [p["name"] for p in page["items"]] == ["Al Able", "Mo Middle"]
        assert page["items"][0]["first_treatment_at"].startswith("2026-03-27T10:00:00")
        rest = staff.get("/api/patients", params={"limit": 2, "offset": 2}).json()
        assert [p["name"] for p in rest["items"]] == ["Zoe Zed"]
        found = staff.get("/api/patients", params={"q": "midd"}).json()
        assert [p["name"] for p in found["items"]] == ["Mo Middle"]
        assert staff.get("/api/patients", params={"q": "%"}).json()["total"] == 0

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1000}, {"offset": -1}])
    def test_bad_paging_is_refused(self, staff: TestClient, params: dict[str, int]) -> None:
        assert staff.get("/api/patients", params=params).status_code == 422

    def test_detail_shows_treatments_link_state_and_devices(
        self, staff: TestClient, phone: TestClient
    ) -> None:
        created = enrol(staff)
        detail = staff.get(f"/api/patients/{created['id']}").json()
        assert detail["enrolment_status"] == "active"
        assert detail["active_devices"] == 0
        assert [t["method"] for t in detail["treatments"]] == ["sclerotherapy"]
        pair_phone(phone, created["enrolment"]["code"])
        detail = staff.get(f"/api/patients/{created['id']}").json()
        assert detail["enrolment_status"] == "used"
        assert detail["active_devices"] == 1

    def test_other_clinics_patient_is_not_found(
        self, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock, app: Any
    ) -> None:
        with TestClient(app) as other:
            sign_in_staff(
                other, factory, now=clock.now(), clinic_name="Hill Clinic", email="dr@hill.example"
            )
            foreign = enrol(other)["id"]
        for method, path in [
            ("GET", f"/api/patients/{foreign}"),
            ("GET", f"/api/patients/{foreign}/tasks"),
            ("POST", f"/api/patients/{foreign}/enrolment"),
        ]:
            assert staff.request(method, path).status_code == 404, path
        response = staff.post(
            f"/api/patients/{foreign}/treatments",
            json={"performed_at": "2026-03-27T11:00:00+00:00"},
        )
        assert response.status_code == 404

    def test_malformed_id_is_refused(self, staff: TestClient) -> None:
        assert staff.get("/api/patients/not-a-uuid").status_code == 422
        assert staff.get("/api/patients/00000000-0000-0000-0000-000000000000").status_code == 404


class TestTreatments:
    def test_re_treatment_extends_the_plan(self, staff: TestClient, clock: FixedClock) -> None:
        created = enrol(staff)
        clock.advance(timedelta(days=14))
        log_in(staff)  # two weeks later: a new working day, a new session
        response = staff.post(
            f"/api/patients/{created['id']}/treatments",
            json={
                "performed_at": "2026-04-10T10:00:00+01:00",
                "method": "laser",
                "notes": "top-up",
            },
        )
        assert response.status_code == 201, response.text
        plan = staff.get(
            f"/api/patients/{created['id']}/tasks",
            params={"from": "2026-03-27", "to": "2026-07-01"},
        ).json()
        aspirin_ends = sorted(p["window_end"] for p in plan if p["task"] == "avoid_aspirin")
        assert aspirin_ends[-1].startswith("2026-05-22T23:00:00")  # through 22 May (BST)
        stockings = [p for p in plan if p["task"] == "stockings_on"]
        assert stockings[-1]["local_due"] == "2026-05-01T07:30:00+01:00"
        assert any(p["key"] == "remove_stocking/t2" for p in plan)

    @pytest.mark.parametrize(
        ("performed_at", "message"),
        [
            ("2026-03-27T10:00:00+00:00", "after the previous treatment"),
            ("2026-03-26T10:00:00+00:00", "after the previous treatment"),
            ("2026-03-28T10:00:00+00:00", "future"),
        ],
    )
    def test_out_of_order_or_future_treatment_is_refused(
        self, staff: TestClient, factory: sessionmaker[Session], performed_at: str, message: str
    ) -> None:
        created = enrol(staff)
        before = count(factory, Occurrence)
        response = staff.post(
            f"/api/patients/{created['id']}/treatments", json={"performed_at": performed_at}
        )
        assert response.status_code == 422
        assert message in response.json()["detail"]
        assert count(factory, Treatment) == 1
        assert count(factory, Occurrence) == before


class TestEnrolmentLinks:
    def test_reissue_revokes_the_unused_link(self, staff: TestClient, phone: TestClient) -> None:
        created = enrol(staff)
        old = created["enrolment"]["code"]
        response = staff.post(f"/api/patients/{created['id']}/enrolment")
        assert response.status_code == 201
        new = response.json()["code"]
        assert new != old
        refused = phone.post("/api/enrol", json={"code": old})
        assert refused.status_code == 410
        assert refused.json()["code"] == "link_revoked"
        pair_phone(phone, new)

    def test_tasks_range_is_bounded(self, staff: TestClient) -> None:
        created = enrol(staff)
        path = f"/api/patients/{created['id']}/tasks"
        assert staff.get(path, params={"from": "2026-04-02", "to": "2026-04-01"}).status_code == 422
        assert staff.get(path, params={"from": "2026-01-01", "to": "2026-12-31"}).status_code == 422
        assert staff.get(path, params={"from": "tomorrow"}).status_code == 422
