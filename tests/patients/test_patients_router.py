"""Staff patient routes: enrol, view, consultation check, re-treat, links; clinic isolation."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from app.clock import FixedClock
from app.patients.models import Patient, Treatment
from app.staff.models import AuditEvent
from app.tasks.models import Occurrence
from tests.support.api import enrol, log_in, new_patient_body, pair_phone, sign_in_staff
from tests.support.audit import patient_audit_actions as audit_actions
from tests.support.factories import add_staff


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
            ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone"),
            ({"time_zone": "../../etc/passwd"}, "Unknown time zone"),
            ({"name": "   "}, "name"),
            ({"phone": "call me maybe"}, "phone"),
            ({"wake_time": "25:00"}, "The time of getting up must be a time like 07:30."),
            ({"wake_time": "07:30", "bed_time": "07:30"}, "at least 8 hours"),
            ({"wake_time": "09:00", "bed_time": "14:00"}, "at least 8 hours"),
            ({"performed_at": "2026-03-27T10:00:00"}, "with its zone"),
            ({"performed_at": "2026-03-27T14:00:00+00:00"}, "can't be in the future"),
            ({"performed_at": "2027-03-27T10:00:00+00:00"}, "can't be in the future"),
            ({"performed_at": "2026-01-01T10:00:00+00:00"}, "more than 8 weeks ago"),
            ({"performed_at": "yesterday"}, "The treatment time must be a date and time"),
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
        # The treatment time's refusals have codes of their own (the console words them).
        expected = {"can't be in the future": "treatment_in_future"}.get(
            message, "treatment_too_old" if "8 weeks" in message else "invalid_input"
        )
        assert body["code"] == expected
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
                # Sclerotherapy again: from version 2 a laser session gets the laser
                # protocol's aftercare and extends neither stockings nor aspirin.
                "method": "sclerotherapy",
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


class TestConsultationCheck:
    def test_enrolling_needs_the_check_or_an_explicit_skip(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        refused: list[dict[str, Any]] = [
            {"doppler_checked": False},
            {"doppler_checked": False, "confirm_without_doppler": False},
        ]
        for fields in refused:
            response = staff.post("/api/patients", json=new_patient_body(**fields))
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "doppler_not_confirmed"
        body = new_patient_body()
        del body["doppler_checked"]
        assert staff.post("/api/patients", json=body).json()["code"] == "doppler_not_confirmed"
        assert count(factory, Patient) == count(factory, Occurrence) == 0

    def test_a_checked_enrolment_records_when_and_by_whom(
        self, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        created = enrol(staff)
        detail = staff.get(f"/api/patients/{created['id']}").json()
        assert detail["doppler_checked_at"].startswith("2026-03-27T12:00:00")
        assert detail["doppler_checked_by_name"] == "nurse@riverside.example"  # no name set
        with factory() as session:
            event = session.exec(
                select(AuditEvent).where(AuditEvent.action == "patient.create")
            ).one()
        assert event.detail == {"doppler_checked": True, "language": "en"}

    def test_a_knowing_skip_enrols_without_a_check(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff, doppler_checked=False, confirm_without_doppler=True)
        detail = staff.get(f"/api/patients/{created['id']}").json()
        assert detail["doppler_checked_at"] is None
        assert detail["doppler_checked_by_name"] is None
        with factory() as session:
            patient = session.get(Patient, uuid.UUID(created["id"]))
            assert patient is not None and patient.doppler_checked_by is None

    def test_the_check_can_be_recorded_later_and_the_first_record_stands(
        self,
        staff: TestClient,
        factory: sessionmaker[Session],
        clock: FixedClock,
        app: Any,
    ) -> None:
        created = enrol(staff, doppler_checked=False, confirm_without_doppler=True)
        path = f"/api/patients/{created['id']}/doppler"
        clock.advance(timedelta(minutes=20))
        add_staff(
            factory, colleague_of="nurse@riverside.example", email="dr@riverside.example",
            now=clock.now(), name="Dr Grace Hopper",
        )  # fmt: skip
        with TestClient(app) as doctor:
            log_in(doctor, "dr@riverside.example")
            response = doctor.post(path)
            assert response.status_code == 200, response.text
            assert response.json()["doppler_checked_at"].startswith("2026-03-27T12:20:00")
            assert response.json()["doppler_checked_by_name"] == "Dr Grace Hopper"
        clock.advance(timedelta(minutes=5))
        again = staff.post(path)
        assert again.status_code == 200
        assert again.json()["doppler_checked_at"].startswith("2026-03-27T12:20:00")
        assert again.json()["doppler_checked_by_name"] == "Dr Grace Hopper"
        with factory() as session:
            details = session.exec(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "patient.doppler")
                .order_by(col(AuditEvent.id))
            ).all()
        assert details == [{"recorded": True}, {"recorded": False}]


class TestEnrolmentQr:
    def test_the_link_comes_with_its_qr_code_as_svg(self, staff: TestClient) -> None:
        link = enrol(staff)["enrolment"]
        root = ET.fromstring(link["qr_svg"])  # noqa: S314 - our own server's markup
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.findtext("{http://www.w3.org/2000/svg}title") == "Enrolment link"
        reissued = staff.post(f"/api/patients/{enrol(staff, name='B')['id']}/enrolment").json()
        assert ET.fromstring(reissued["qr_svg"]).tag == root.tag  # noqa: S314
        assert reissued["qr_svg"] != link["qr_svg"]  # a new code, a new picture


class TestDetailAdditions:
    def test_shows_link_expiry_while_active_and_last_activity(
        self, staff: TestClient, phone: TestClient, clock: FixedClock
    ) -> None:
        created = enrol(staff)
        path = f"/api/patients/{created['id']}"
        detail = staff.get(path).json()
        assert detail["enrolment_expires_at"] == created["enrolment"]["expires_at"]
        assert detail["last_active_at"] is None
        clock.advance(timedelta(minutes=3))
        pair_phone(phone, created["enrolment"]["code"])
        clock.advance(timedelta(minutes=10))
        assert phone.get("/api/me").status_code == 200
        detail = staff.get(path).json()
        assert detail["enrolment_status"] == "used"
        assert detail["enrolment_expires_at"] is None
        assert detail["last_active_at"].startswith("2026-03-27T12:13:00")


class TestEnrolmentRevoke:
    def test_a_revoked_link_cannot_be_redeemed(
        self, staff: TestClient, phone: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        response = staff.post(f"/api/patients/{created['id']}/enrolment/revoke")
        assert response.status_code == 204
        assert response.content == b""
        refused = phone.post("/api/enrol", json={"code": created["enrolment"]["code"]})
        assert refused.status_code == 410
        assert refused.json()["code"] == "link_revoked"
        detail = staff.get(f"/api/patients/{created['id']}").json()
        assert (detail["enrolment_status"], detail["enrolment_expires_at"]) == ("revoked", None)
        # Repeating it is harmless; the audit says nothing was left to revoke.
        assert staff.post(f"/api/patients/{created['id']}/enrolment/revoke").status_code == 204
        with factory() as session:
            details = session.exec(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "enrolment.revoke")
                .order_by(col(AuditEvent.id))
            ).all()
        assert details == [{"revoked": 1}, {"revoked": 0}]

    def test_revoking_keeps_a_paired_phone_signed_in(
        self, staff: TestClient, phone: TestClient
    ) -> None:
        created = enrol(staff)
        pair_phone(phone, created["enrolment"]["code"])
        assert staff.post(f"/api/patients/{created['id']}/enrolment/revoke").status_code == 204
        assert phone.get("/api/me").status_code == 200
        assert staff.get(f"/api/patients/{created['id']}").json()["enrolment_status"] == "used"

    def test_a_reissued_link_after_a_revoke_works(
        self, staff: TestClient, phone: TestClient
    ) -> None:
        created = enrol(staff)
        staff.post(f"/api/patients/{created['id']}/enrolment/revoke")
        fresh = staff.post(f"/api/patients/{created['id']}/enrolment").json()
        pair_phone(phone, fresh["code"])

    def test_only_this_patients_links_are_revoked(
        self, staff: TestClient, phone: TestClient
    ) -> None:
        first = enrol(staff)
        second = enrol(staff, name="Second Patient")
        staff.post(f"/api/patients/{first['id']}/enrolment/revoke")
        pair_phone(phone, second["enrolment"]["code"])


# Every staff route of this module: (method, path under the patient, JSON body, audit action).
ROUTES: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "", None, "patient.read"),
    ("POST", "/doppler", None, "patient.doppler"),
    ("POST", "/treatments", {"performed_at": "2026-03-27T11:00:00+00:00"}, "treatment.create"),
    ("GET", "/tasks", None, "plan.read"),
    ("POST", "/enrolment", None, "enrolment.issue"),
    ("POST", "/enrolment/revoke", None, "enrolment.revoke"),
]


class TestAccess:
    @pytest.mark.parametrize(("method", "suffix", "body", "action"), ROUTES)
    def test_staff_of_the_clinic_are_served_and_audited(
        self,
        staff: TestClient,
        factory: sessionmaker[Session],
        method: str,
        suffix: str,
        body: dict[str, Any] | None,
        action: str,
    ) -> None:
        patient_id = enrol(staff)["id"]
        response = staff.request(method, f"/api/patients/{patient_id}{suffix}", json=body)
        assert response.status_code < 300, response.text
        assert audit_actions(factory, patient_id) == ["patient.create", action]

    @pytest.mark.parametrize(("method", "suffix", "body", "action"), ROUTES)
    def test_anonymous_other_clinic_and_unknown_are_refused(
        self,
        staff: TestClient,
        hill: TestClient,
        app: Any,
        factory: sessionmaker[Session],
        method: str,
        suffix: str,
        body: dict[str, Any] | None,
        action: str,
    ) -> None:
        patient_id = enrol(staff)["id"]
        path = f"/api/patients/{patient_id}{suffix}"
        with TestClient(app) as anonymous:
            refused = anonymous.request(method, path, json=body)
        assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
        foreign = hill.request(method, path, json=body)
        assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
        unknown = staff.request(method, f"/api/patients/{uuid.uuid4()}{suffix}", json=body)
        assert unknown.status_code == 404
        assert unknown.json() == foreign.json()  # another clinic's patient looks missing
        assert audit_actions(factory, patient_id) == ["patient.create"]
