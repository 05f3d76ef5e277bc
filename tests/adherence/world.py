"""Builders for the console's list and adherence tests: treated patients, ticks, devices, alerts.

Everything goes through the real services, each at its own instant (a patient treated two
days ago is enrolled two days ago, so its whole plan exists, as it would in real life).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.care.service import add_treatment
from app.clinics.models import Clinic
from app.config import Settings
from app.db import transaction
from app.enrolment.service import IssuedLink, device_for_token, redeem_enrolment_link
from app.notifications.models import PushKeys, PushSubscriptionIn
from app.notifications.subscriptions import Owner, subscribe
from app.patients.models import Patient, TreatmentCreate
from app.patients.protocols import ProtocolSource
from app.reports import alerts
from app.reports.models import Alert, ReportCreate
from app.reports.service import submit
from app.shared.base64url import b64url_encode
from app.staff.models import StaffUser
from app.tasks.models import Occurrence
from app.tasks.service import complete
from tests.support.factories import make_patient


def at(text: str) -> datetime:
    """An instant written as 'YYYY-MM-DD HH:MM' in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def treated(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    clinic: Clinic,
    staff: StaffUser,
    name: str,
    performed_at: datetime,
    time_zone: str = "Europe/London",
    **fields: object,
) -> tuple[Patient, IssuedLink]:
    """A patient enrolled when treated (wake 07:30, bed 22:00, no support stockings), on
    version 1 of the protocol: the figures below were worked out by hand from its rules."""
    fields = {"stockings_advised": False, "wake_time": "07:30", "bed_time": "22:00"} | fields
    return make_patient(
        factory, clinic=clinic, staff=staff, now=performed_at, settings=settings, name=name,
        protocol_version=1, time_zone=time_zone,
        treatment={"performed_at": performed_at.isoformat()}, **fields,
    )  # fmt: skip


def retreat(
    factory: sessionmaker[Session],
    settings: Settings,
    patient: Patient,
    *,
    staff: StaffUser,
    performed_at: datetime,
) -> None:
    with transaction(factory) as session:
        add_treatment(
            session, patient=patient, data=TreatmentCreate(performed_at=performed_at),
            protocols=ProtocolSource(settings.protocol), staff=staff, now=performed_at,
            settings=settings,
        )  # fmt: skip


def tick(
    factory: sessionmaker[Session], patient: Patient, keys: Iterable[str], *, now: datetime
) -> None:
    """The patient ticks these occurrences (by plan key) off at `now`."""
    wanted = list(keys)
    with transaction(factory) as session:
        rows = session.exec(
            select(Occurrence).where(
                Occurrence.patient_id == patient.id, col(Occurrence.key).in_(wanted)
            )
        ).all()
        assert sorted(row.key for row in rows) == sorted(wanted)
        for row in rows:
            complete(session, patient=patient, occurrence_id=row.id, now=now)


def tick_all_due(factory: sessionmaker[Session], patient: Patient, *, now: datetime) -> int:
    """Tick every task due by `now`; how many."""
    with factory() as session:
        keys = session.exec(
            select(Occurrence.key).where(
                Occurrence.patient_id == patient.id,
                Occurrence.kind == "task",
                col(Occurrence.due_at) <= now,
            )
        ).all()
    tick(factory, patient, keys, now=now)
    return len(keys)


def push_device(
    factory: sessionmaker[Session],
    settings: Settings,
    patient: Patient,
    *,
    key_id: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> None:
    """A browser subscription of the patient, made with the server key `key_id`."""
    data = PushSubscriptionIn(
        endpoint=f"https://push.example.net/send/{uuid.uuid4().hex}",
        expirationTime=None if expires_at is None else int(expires_at.timestamp() * 1000),
        keys=PushKeys(
            p256dh=b64url_encode(b"\x04" + bytes(range(64))), auth=b64url_encode(bytes(16))
        ),
    )
    with transaction(factory) as session:
        subscribe(
            session, owner=Owner(patient_id=patient.id), data=data, key_id=key_id, now=now,
            settings=settings,
        )  # fmt: skip


def seen(
    factory: sessionmaker[Session],
    settings: Settings,
    link: IssuedLink,
    *,
    paired_at: datetime,
    active_at: datetime,
) -> None:
    """The patient pairs a phone at `paired_at` and uses the app at `active_at`."""
    with transaction(factory) as session:
        _, token = redeem_enrolment_link(
            session, code=link.code, label="phone", now=paired_at, settings=settings
        )
    with transaction(factory) as session:
        assert device_for_token(session, token=token, now=active_at) is not None


def report(
    factory: sessionmaker[Session],
    patient: Patient,
    clinic: Clinic,
    *,
    signs: list[str],
    now: datetime,
) -> uuid.UUID:
    """A symptom report (e.g. ["fever"]: urgent, ["chest_pain_breathless"]: emergency); the
    alert it opened."""
    data = ReportCreate(client_id=uuid.uuid4(), pain=2, signs=signs)
    with transaction(factory) as session:
        submit(session, patient=patient, clinic=clinic, data=data, now=now)
        alert_id = session.exec(
            select(Alert.id)
            .where(Alert.patient_id == patient.id)
            .order_by(col(Alert.created_at).desc())
        ).first()
    assert alert_id is not None
    return alert_id


def acknowledge(
    factory: sessionmaker[Session], alert_id: uuid.UUID, *, staff: StaffUser, now: datetime
) -> None:
    with transaction(factory) as session:
        alerts.acknowledge(
            session, clinic_id=staff.clinic_id, alert_id=alert_id, staff_id=staff.id,
            note="called", now=now,
        )  # fmt: skip


NOW = at("2026-03-27 12:00")  # the tests' pinned clock
OLD_KEY = "key-before-rotation"


@dataclass
class Ward:
    """Four patients of one clinic, each first or last by some column of the list.

    | name     | treated              | due / done | active       | devices         | alerts   |
    |----------|----------------------|------------|--------------|-----------------|----------|
    | Ada Able | 25 Mar 10:00, 27 Mar | 13 / 4     | 27 Mar 09:00 | 2 live          | urg+emg  |
    |          | 11:30 (re-treated)   |            |              |                 |          |
    | bea Bell | 26 Mar 10:00         | 10 / 10    | never        | 1, older key    | urgent   |
    | Cy Cole  | 26 Jan 10:00         | 28 / 0     | 26 Mar 12:00 | 1, expired      | ack'd    |
    | Di Dunn  | 27 Mar 11:00         | 0 / 0      | never        | none            | none     |

    Next visits: Ada 8 Apr 09:00, bea 9 Apr 09:00, Di 10 Apr 10:00 (UTC); Cy's are over.
    Di's Doppler check was skipped; the others had it.
    """

    ada: Patient
    bea: Patient
    cy: Patient
    di: Patient

    def names(self, *patients: Patient) -> list[str]:
        return [patient.name for patient in patients]


def build_ward(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    clinic: Clinic,
    staff: StaffUser,
    key_id: str,
) -> Ward:
    def person(name: str, performed_at: str, **fields: object) -> tuple[Patient, IssuedLink]:
        return treated(
            factory, settings, clinic=clinic, staff=staff, name=name,
            performed_at=at(performed_at), **fields,
        )  # fmt: skip

    ada, ada_link = person("Ada Able", "2026-03-25 10:00")
    bea, _ = person("bea Bell", "2026-03-26 10:00")
    cy, cy_link = person("Cy Cole", "2026-01-26 10:00")
    di, _ = person(
        "Di Dunn", "2026-03-27 11:00", doppler_checked=False, confirm_without_doppler=True
    )
    retreat(factory, settings, ada, staff=staff, performed_at=at("2026-03-27 11:30"))
    tick(factory, ada, ADA_TICKS, now=NOW)
    assert tick_all_due(factory, bea, now=NOW) == 10
    seen(
        factory,
        settings,
        ada_link,
        paired_at=at("2026-03-25 10:05"),
        active_at=at("2026-03-27 09:00"),
    )
    seen(
        factory,
        settings,
        cy_link,
        paired_at=at("2026-01-26 10:05"),
        active_at=at("2026-03-26 12:00"),
    )
    for _ in range(2):
        push_device(factory, settings, ada, key_id=key_id, now=at("2026-03-25 10:10"))
    push_device(factory, settings, bea, key_id=OLD_KEY, now=at("2026-03-26 10:10"))
    push_device(
        factory, settings, cy, key_id=key_id, now=at("2026-01-26 10:10"),
        expires_at=at("2026-03-01 00:00"),
    )  # fmt: skip
    report(factory, ada, clinic, signs=["fever"], now=at("2026-03-27 08:00"))
    report(factory, ada, clinic, signs=["chest_pain_breathless"], now=at("2026-03-27 08:30"))
    report(factory, bea, clinic, signs=["fever"], now=at("2026-03-27 07:00"))
    handled = report(factory, cy, clinic, signs=["fever"], now=at("2026-03-20 10:00"))
    acknowledge(factory, handled, staff=staff, now=at("2026-03-20 10:30"))
    return Ward(ada=ada, bea=bea, cy=cy, di=di)


# Ada's ticks: two of day 0, the stocking on day 1, the cream on day 2 (local London days).
ADA_TICKS = (
    "elevate_legs/t1/1",
    "elevate_legs/t1/2",
    "remove_stocking/t1",
    "hydrocortisone/t1/d2/morning",
)
