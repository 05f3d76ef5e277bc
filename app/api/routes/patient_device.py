"""Patient-device routes: redeem an enrolment code, read the profile, change preferences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import PlainTextResponse
from sqlmodel import Session

from app.api.cookies import (
    PATIENT_COOKIE,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)
from app.api.deps import (
    ClockDep,
    LocalDayQuery,
    ProtocolsDep,
    SessionDep,
    SessionFactoryDep,
    SettingsDep,
)
from app.api.patient_auth import (
    CurrentDevice,
    CurrentPatient,
    OwnPhonePatient,
    device_if_signed_in,
)
from app.appointments.calendar import visits_calendar
from app.care import service as care
from app.careplan.daytime import last_day
from app.config import Settings
from app.enrolment import carer_devices
from app.enrolment import service as enrolment
from app.enrolment.models import DeviceSession, EnrolRequest
from app.error_codes import ErrorCode
from app.errors import Gone, NotFound, errors
from app.i18n.languages import offered as offered_languages
from app.patients import service
from app.patients.carers import SwitchRequest
from app.patients.language import check_language
from app.patients.models import (
    AppointmentPublic,
    BookedTreatmentPublic,
    ClinicContact,
    LanguagePublic,
    MeProfile,
    Patient,
    PreferencesUpdate,
    RestrictionPublic,
)
from app.patients.protocols import ProtocolSource
from app.patients.reminder_channel import ReminderChannelChoice, channel_of, choose_channel
from app.protocols.translations import translate
from app.ratelimit import service as ratelimit
from app.ratelimit.guard import failures_counted
from app.shared.client_address import client_ip
from app.tasks import progress
from app.tasks import service as tasks
from app.tasks.models import ProgressLinePublic, ProgressPublic
from app.timezones import local_date

router = APIRouter(prefix="/api", tags=["patient device"])


def build_profile(
    session: Session,
    *,
    patient: Patient,
    protocols: ProtocolSource,
    now: datetime,
    offered: frozenset[str] = frozenset(),
    device: DeviceSession | None = None,
    pseudo_locales: bool = False,
) -> MeProfile:
    """Profile, clinic contact, active restrictions with their last day, coming appointments,
    a treatment booked ahead with what to prepare, and on a carer's phone whom it helps."""
    zone = ZoneInfo(patient.time_zone)
    booked = service.booked_treatment(session, patient)
    clinic = service.clinic_of_patient(session, patient)
    ahead = tasks.outlook(session, patient=patient, now=now)
    restrictions = [
        RestrictionPublic(
            task=span.task,
            title=translate(patient.language, span.title),
            instructions=translate(patient.language, span.instructions),
            until=last_day(span.end, zone),
            until_at=span.end,
        )
        for span in ahead.active_restrictions
    ]
    appointments = [
        AppointmentPublic(
            id=row.id,
            key=row.key,
            title=translate(patient.language, row.title),
            due_at=row.due_at,
            local_due=row.due_at.astimezone(zone),
            tentative=row.tentative,
        )
        for row in ahead.appointments
    ]
    return MeProfile(
        id=patient.id,
        name=patient.name,
        time_zone=patient.time_zone,
        wake_time=patient.wake_time,
        bed_time=patient.bed_time,
        stockings_advised=patient.stockings_advised,
        show_task_titles=patient.show_task_titles,
        clinic=ClinicContact(
            name=clinic.name, phone=clinic.phone, emergency_number=clinic.emergency_number
        ),
        restrictions=restrictions,
        appointments=appointments,
        booked_treatment=None
        if booked is None
        else BookedTreatmentPublic(
            performed_at=booked.performed_at,
            local_at=booked.performed_at.astimezone(zone),
            preparation=[
                translate(patient.language, line) for line in protocols.pinned(patient).preparation
            ],
        ),
        reminders_by=channel_of(patient, offered),
        carer=carer_devices.carer_of_device(session, device) if device is not None else None,
        language=patient.language,
        languages=[
            LanguagePublic(code=lang.code, name=lang.name)
            for lang in offered_languages(pseudo_locales=pseudo_locales)
        ],
    )


@dataclass(frozen=True)
class Profiles:
    """What it takes to answer with a profile, read once per request."""

    session: Session
    protocols: ProtocolSource
    settings: Settings
    now: datetime

    def of(self, patient: Patient, device: DeviceSession | None = None) -> MeProfile:
        return build_profile(
            self.session, patient=patient, protocols=self.protocols, now=self.now,
            offered=self.settings.letter_channels, device=device,
            pseudo_locales=self.settings.pseudo_locales,
        )  # fmt: skip


# `async def`: no I/O here, and a sync dependency would cost a worker-thread hop.
async def profiles(
    session: SessionDep, clock: ClockDep, protocols: ProtocolsDep, settings: SettingsDep
) -> Profiles:
    return Profiles(session=session, protocols=protocols, settings=settings, now=clock.now())


ProfilesDep = Annotated[Profiles, Depends(profiles)]


@router.post(
    "/enrol",
    responses=errors(
        ErrorCode.LINK_UNKNOWN,
        ErrorCode.LINK_USED,
        ErrorCode.LINK_REVOKED,
        ErrorCode.LINK_EXPIRED,
        ErrorCode.GONE,
        ErrorCode.TOO_MANY_ATTEMPTS,
        ErrorCode.CARER_LINK_ON_PATIENT_PHONE,
    ),
)
def enrol_device(
    body: EnrolRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
    profile: ProfilesDep,
) -> MeProfile:
    """Redeem the one-time code from the clinic's link; this phone gets a device session.

    404 for a code that never existed, 410 for one used, revoked or expired; such failures
    count per client address, and over the limit the answer is 429 (codes cannot be guessed).
    A carer's link signs in a carer's phone; on a phone already a carer's, it adds the patient
    to that carer, and on a phone signed in as a patient it is refused (409).
    """
    now = clock.now()
    keys = [ratelimit.enrol_ip(settings, client_ip(request))]
    signed_in = device_if_signed_in(request, session, settings, now)
    with failures_counted(session, factory, now, {NotFound: keys, Gone: keys}):
        patient, token = enrolment.redeem_enrolment_link(
            session,
            code=body.code,
            label=request.headers.get("user-agent", ""),
            now=now,
            settings=settings,
            signed_in=signed_in,
        )
    if token is None:  # the phone's carer session goes on, now showing this patient
        assert signed_in is not None
        return profile.of(patient, signed_in)
    set_session_cookie(
        response,
        name=PATIENT_COOKIE,
        token=token,
        lifetime=settings.device_session_lifetime,
        settings=settings,
        same_site="lax",  # the PWA is opened from links and notifications
    )
    found = enrolment.device_for_token(session, token=token, now=now)
    return profile.of(patient, found[0] if found else None)


@router.get("/me", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def read_profile(patient: CurrentPatient, device: CurrentDevice, profile: ProfilesDep) -> MeProfile:
    return profile.of(patient, device)


@router.post(
    "/me/switch",
    responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.CARER_ONLY, ErrorCode.NOT_FOUND),
)
def switch_patient(
    body: SwitchRequest, device: CurrentDevice, session: SessionDep, profile: ProfilesDep
) -> MeProfile:
    """On a carer's phone: show another person this carer helps (403 `carer_only` on a
    patient's own phone; 404 for someone they do not help, or no longer)."""
    carer_devices.switch(session, device=device, patient_id=body.patient_id)
    patient = session.get(Patient, device.patient_id)
    assert patient is not None  # the link's foreign key
    return profile.of(patient, device)


@router.patch(
    "/me/preferences",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.INVALID_INPUT,
        ErrorCode.CARER_NOT_ALLOWED,
        ErrorCode.LANGUAGE_NOT_OFFERED,
    ),
)
def change_preferences(
    body: PreferencesUpdate,
    patient: OwnPhonePatient,
    session: SessionDep,
    profile: ProfilesDep,
) -> MeProfile:
    """Change time zone, wake or bed time, lock-screen titles or language; the plan ahead is
    recomputed. An unknown language is 422 in plain words, and nothing changes."""
    if body.language is not None:
        check_language(body.language, pseudo_locales=profile.settings.pseudo_locales)
    care.update_preferences(
        session, patient=patient, data=body, protocols=profile.protocols, now=profile.now
    )
    return profile.of(patient)


@router.put(
    "/me/reminder-channel",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.CHANNEL_NOT_OFFERED,
        ErrorCode.CHANNEL_NEEDS_CONSENT,
        ErrorCode.CHANNEL_NEEDS_ADDRESS,
        ErrorCode.CARER_NOT_ALLOWED,
    ),
)
def choose_reminder_channel(
    body: ReminderChannelChoice,
    patient: OwnPhonePatient,
    session: SessionDep,
    profile: ProfilesDep,
) -> MeProfile:
    """Also be reminded by e-mail or text when a reminder does not reach this phone by push.

    `channel` "email" or "sms" needs `consent` true (recorded with the time, as given by the
    patient); "" stops it. 422 `channel_not_offered` when the server cannot send it,
    `channel_needs_address` when the record has no e-mail address, or no mobile number with
    the country code (the clinic corrects the record).
    """
    offered = profile.settings.letter_channels
    choose_channel(
        session, patient=patient, choice=body, by="patient", offered=offered, now=profile.now
    )
    return profile.of(patient)


@router.post("/me/logout", status_code=status.HTTP_204_NO_CONTENT)
def sign_out_device(
    request: Request,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> None:
    """End this phone's session on the server; safe to repeat."""
    token = session_token(request, PATIENT_COOKIE, settings)
    if token:
        enrolment.end_device_session(session, token=token, now=clock.now())
    clear_session_cookie(response, name=PATIENT_COOKIE, settings=settings)


@router.get("/me/progress", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.INVALID_INPUT))
def read_progress(
    patient: CurrentPatient,
    session: SessionDep,
    clock: ClockDep,
    protocols: ProtocolsDep,
    day: LocalDayQuery = None,
) -> ProgressPublic:
    """Where the patient is in their plan on a local day, in words: day N of M of the
    stockings and of each restriction going on (with its last day), the next visit, and the
    tasks ticked off in the last 7 days (counts, never percentages). The phone shows these
    words as they are; on a carer's phone, the person it is showing."""
    now = clock.now()
    shown = day or local_date(now, ZoneInfo(patient.time_zone))
    lines = progress.progress_of(
        session, patient=patient, protocol=protocols.pinned(patient), day=shown, now=now
    )
    return ProgressPublic(
        date=shown,
        lines=[ProgressLinePublic.model_validate(line, from_attributes=True) for line in lines],
    )


@router.get(
    "/me/calendar.ics",
    response_class=PlainTextResponse,
    responses={**errors(ErrorCode.NOT_AUTHENTICATED), 200: {"content": {"text/calendar": {}}}},
)
def visits_calendar_file(
    patient: CurrentPatient, session: SessionDep, clock: ClockDep
) -> PlainTextResponse:
    """The patient's coming clinic visits that the clinic has booked, as an iCalendar file.

    A visit not booked yet is left out: a phone's calendar must never show a guessed time.
    """
    now = clock.now()
    clinic = service.clinic_of_patient(session, patient)
    booked = [
        row
        for row in tasks.outlook(session, patient=patient, now=now).appointments
        if not row.tentative
    ]
    body = visits_calendar(
        booked,
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        now=now,
    )
    return PlainTextResponse(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="clinic-visits.ics"'},
    )
