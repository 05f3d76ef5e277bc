"""What every staff route on one patient needs: the clinic's patient and an audit of its use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session

from app.api.deps import ClockDep, SessionDep
from app.api.staff_auth import AdminStaff, CurrentStaff
from app.patients import service
from app.patients.models import Patient
from app.shared.client_address import client_ip
from app.staff import audit
from app.staff.models import StaffUser


@dataclass(frozen=True)
class PatientAccess:
    """One request by a signed-in staff member; `now` is read once, at the request's start."""

    session: Session
    staff: StaffUser
    request: Request
    now: datetime

    def patient(self, patient_id: uuid.UUID) -> Patient:
        """The patient of the staff member's clinic; another clinic's is 404 like a missing one."""
        return service.get_for_clinic(
            self.session, clinic_id=self.staff.clinic_id, patient_id=patient_id
        )

    def audit(
        self, action: str, patient_id: uuid.UUID, detail: dict[str, Any] | None = None
    ) -> None:
        """Record in the audit trail that this staff member did `action` to the patient."""
        audit.record(
            self.session,
            staff=self.staff,
            action=action,
            patient_id=patient_id,
            now=self.now,
            ip=client_ip(self.request),
            detail=detail,
        )


# `async def`: no I/O in these two, and a sync dependency would cost a worker-thread hop.
async def staff_access(
    request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep
) -> PatientAccess:
    return PatientAccess(session=session, staff=staff, request=request, now=clock.now())


StaffAccess = Annotated[PatientAccess, Depends(staff_access)]


async def admin_access(access: StaffAccess, _admin: AdminStaff) -> PatientAccess:
    """As StaffAccess, for clinic admins only (clinicians get 403 `admin_only`)."""
    return access


AdminAccess = Annotated[PatientAccess, Depends(admin_access)]
