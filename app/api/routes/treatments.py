"""Staff routes that keep a patient's treatments right: correct, void, confirm one booked."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from app.api.deps import ProtocolsDep, SettingsDep
from app.api.patient_access import PatientAccess, StaffAccess
from app.care import service as care
from app.db import undone_if
from app.error_codes import ErrorCode
from app.errors import errors
from app.patients.models import (
    TreatmentChangeResult,
    TreatmentConfirm,
    TreatmentCorrection,
    TreatmentPublic,
    TreatmentVoid,
)
from app.tasks.service import counts_of

router = APIRouter(prefix="/api/patients", tags=["patients (staff)"])

Preview = Annotated[bool, Query(description="say what the change would do, and save nothing")]


@router.patch(
    "/{patient_id}/treatments/{treatment_id}",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.REASON_REQUIRED,
        ErrorCode.TREATMENT_IN_FUTURE,
        ErrorCode.TREATMENT_TOO_OLD,
        ErrorCode.TREATMENT_OUT_OF_ORDER,
        ErrorCode.TREATMENT_BOOKED_IN_PAST,
        ErrorCode.TREATMENT_BOOKED_TOO_FAR,
        ErrorCode.TREATMENT_VOIDED,
        ErrorCode.INVALID_INPUT,
    ),
)
def correct_treatment(
    patient_id: uuid.UUID,
    treatment_id: uuid.UUID,
    body: TreatmentCorrection,
    access: StaffAccess,
    protocols: ProtocolsDep,
    settings: SettingsDep,
    preview: Preview = False,
) -> TreatmentChangeResult:
    """Correct a treatment's time, method or notes, with a `reason` (required).

    The plan is recomputed at once: done tasks stay done; what the treatment still owes,
    past or not, follows the corrected values. The time stays after the treatment before it
    and before the one after it (422 `treatment_out_of_order`), and obeys the rules of a new
    one (`treatment_in_future`, `treatment_too_old`). A voided treatment is 409
    `treatment_voided`. With `preview=true` the change is made and undone, so the counts are
    exactly what saving would do. A treatment booked ahead moves to another time still to come
    (`treatment_booked_in_past`, `treatment_booked_too_far`). Audited `treatment.correct` with
    the time and method before and after (the notes: whether they changed; the reason: its
    length).
    """
    patient = access.patient(patient_id)
    with undone_if(access.session, preview):
        change = care.correct_treatment(
            access.session,
            patient=patient,
            treatment_id=treatment_id,
            data=body,
            protocols=protocols,
            staff=access.staff,
            now=access.now,
            settings=settings,
        )
        result = _result(change, preview)
    if not preview and change.changed:
        _audit(access, "treatment.correct", change, reason=body.reason)
    return result


@router.post(
    "/{patient_id}/treatments/{treatment_id}/void",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.REASON_REQUIRED,
        ErrorCode.TREATMENT_ONLY_ONE,
        ErrorCode.INVALID_INPUT,
    ),
)
def void_treatment(
    patient_id: uuid.UUID,
    treatment_id: uuid.UUID,
    body: TreatmentVoid,
    access: StaffAccess,
    protocols: ProtocolsDep,
    preview: Preview = False,
) -> TreatmentChangeResult:
    """Void a treatment (wrong patient, never happened), with a `reason` (required).

    It stays in the record and the audit, marked voided, and leaves the plan: its done tasks
    stay done and are marked `voided`; what it still owed goes, past or not (never owed, so
    never missed). The patient's only treatment can't be voided (409 `treatment_only_one`),
    unless it is booked ahead (a cancelled booking).
    Voiding it again changes nothing. `preview=true`: the counts, nothing saved. Audited
    `treatment.void`.
    """
    patient = access.patient(patient_id)
    with undone_if(access.session, preview):
        change = care.void_treatment(
            access.session,
            patient=patient,
            treatment_id=treatment_id,
            reason=body.reason,
            protocols=protocols,
            staff=access.staff,
            now=access.now,
        )
        result = _result(change, preview)
    if not preview and change.changed:
        _audit(access, "treatment.void", change, reason=body.reason)
    return result


@router.post(
    "/{patient_id}/treatments/{treatment_id}/confirm",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.TREATMENT_IN_FUTURE,
        ErrorCode.TREATMENT_TOO_OLD,
        ErrorCode.TREATMENT_OUT_OF_ORDER,
        ErrorCode.TREATMENT_NOT_BOOKED,
        ErrorCode.TREATMENT_VOIDED,
        ErrorCode.INVALID_INPUT,
    ),
)
def confirm_treatment(
    patient_id: uuid.UUID,
    treatment_id: uuid.UUID,
    access: StaffAccess,
    protocols: ProtocolsDep,
    settings: SettingsDep,
    body: Annotated[TreatmentConfirm | None, Body()] = None,
) -> TreatmentChangeResult:
    """A treatment booked ahead was done: at its booked time (no body), or at `performed_at`
    if it moved.

    It joins the plan, which starts from it; its reminders were held until now. The time may
    not be ahead (422 `treatment_in_future`: confirm once performed). 409
    `treatment_not_booked` for one recorded as done, `treatment_voided` for one cancelled;
    confirming again changes nothing. Audited `treatment.confirm` with the booked time and the
    time it was done.
    """
    patient = access.patient(patient_id)
    change = care.confirm_treatment(
        access.session,
        patient=patient,
        treatment_id=treatment_id,
        data=body or TreatmentConfirm(),
        protocols=protocols,
        staff=access.staff,
        now=access.now,
        settings=settings,
    )
    if change.changed:
        _audit(access, "treatment.confirm", change, reason="")
    return _result(change, preview=False)


def _result(change: care.TreatmentChange, preview: bool) -> TreatmentChangeResult:
    return TreatmentChangeResult(
        preview=preview,
        changed=change.changed,
        **counts_of(change.plan),
        treatment=TreatmentPublic.model_validate(change.treatment, from_attributes=True),
    )


def _audit(
    access: PatientAccess, action: str, change: care.TreatmentChange, *, reason: str
) -> None:
    def shown(values: dict[str, Any]) -> dict[str, Any]:
        # Times and methods as they were and are; notes are free text: only that they changed.
        return {
            name: value.isoformat() if name == "performed_at" else value
            for name, value in values.items()
            if name != "notes"
        }

    access.audit(
        action,
        change.treatment.patient_id,
        detail={
            "treatment_id": str(change.treatment.id),
            "changed": change.changed,
            "before": shown(change.before),
            "after": shown(change.after),
            "tasks": counts_of(change.plan),
            # The reason is free text (it may name the patient): its length only.
            "reason_length": len(reason),
        },
    )
