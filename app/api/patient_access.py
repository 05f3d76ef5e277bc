"""What every staff route on one patient needs: the clinic's patient and an audit of its use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.api.deps import ClockDep, SessionDep, SessionFactoryDep
from app.api.staff_auth import CurrentStaff
from app.error_codes import ErrorCode
from app.errors import AppError, Forbidden
from app.patients import service
from app.patients.models import Patient
from app.shared.client_address import client_ip
from app.staff import audit
from app.staff.models import StaffRole, StaffUser

REFUSED = "patient.refused"


@dataclass(frozen=True)
class PatientAccess:
    """One request by a signed-in staff member; `now` is read once, at the request's start."""

    session: Session
    factory: sessionmaker[Session]
    staff: StaffUser
    request: Request
    now: datetime

    def patient(self, patient_id: uuid.UUID) -> Patient:
        """The patient of the staff member's clinic; another clinic's is 404 like a missing one.

        The refusal is audited (who asked for which id): probing for other clinics' patients
        is what the trail is for.
        """
        try:
            return service.get_for_clinic(
                self.session, clinic_id=self.staff.clinic_id, patient_id=patient_id
            )
        except AppError as refusal:
            self.refused(refusal, patient_id)
            raise

    @property
    def letter_channels(self) -> frozenset[str]:
        """The channels besides push this server can send (the patient page offers them)."""
        channels: frozenset[str] = self.request.app.state.settings.letter_channels
        return channels

    def refused(self, refusal: AppError, patient_id: uuid.UUID | None) -> None:
        """Record that this request for the patient was refused, outside its own transaction."""
        staff_id, clinic_id = self.staff.id, self.staff.clinic_id  # read before the rollback
        # The request's transaction is rolled back anyway; on SQLite it holds the write lock.
        self.session.rollback()
        audit.record_refusal(
            self.factory,
            staff_id=staff_id,
            clinic_id=clinic_id,
            action=REFUSED,
            now=self.now,
            ip=client_ip(self.request),
            # Not in the patient column: the id may be another clinic's patient, whose own
            # trail (and export) must not show this clinic's staff.
            patient_id=None,
            detail={
                "status": refusal.status_code,
                "refused": refusal.code.value,
                "requested_id": str(patient_id) if patient_id else None,
            },
        )

    def audit(
        self, action: str, patient_id: uuid.UUID, detail: dict[str, Any] | None = None
    ) -> None:
        """Record in the audit trail that this staff member did `action` to the patient.

        A panel of the patient page read just after the record itself is not recorded again
        (`audit.part_of_a_view`): one page view, one entry.
        """
        if audit.part_of_a_view(
            self.session, action=action, staff_id=self.staff.id, patient_id=patient_id,
            now=self.now,
        ):  # fmt: skip
            return
        audit.record(
            self.session,
            staff=self.staff,
            action=action,
            patient_id=patient_id,
            now=self.now,
            ip=client_ip(self.request),
            detail=detail,
        )


# `async def`: no I/O in this one, and a sync dependency would cost a worker-thread hop.
async def staff_access(
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
) -> PatientAccess:
    return PatientAccess(
        session=session, factory=factory, staff=staff, request=request, now=clock.now()
    )


StaffAccess = Annotated[PatientAccess, Depends(staff_access)]


async def admin_access(access: StaffAccess) -> PatientAccess:
    """As StaffAccess, for clinic admins only: clinicians get 403 `admin_only`, audited.

    Async, so an admin's request takes no thread hop here; only recording a refusal (a
    database write) goes to a worker thread.
    """
    if access.staff.role != StaffRole.ADMIN:
        refusal = Forbidden("Only a clinic admin can do this.", code=ErrorCode.ADMIN_ONLY)
        await run_in_threadpool(access.refused, refusal, _path_patient_id(access.request))
        raise refusal
    return access


def _path_patient_id(request: Request) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(request.path_params.get("patient_id", "")))
    except ValueError:
        return None


AdminAccess = Annotated[PatientAccess, Depends(admin_access)]
