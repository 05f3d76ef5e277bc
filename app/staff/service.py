"""Staff use cases: clinics, accounts, log in and out, resolving a session cookie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import Conflict, InvalidInput, NotAuthenticated
from app.staff.models import Clinic, StaffRole, StaffSession, StaffUser
from app.staff.passwords import hash_password, password_problem, verify_password
from app.tokens import hash_token, new_token

WRONG_CREDENTIALS = "The e-mail address or password is not right."


def create_clinic(
    session: Session, *, name: str, now: datetime, phone: str = "", emergency_number: str = "999"
) -> Clinic:
    name = name.strip()
    if not name:
        raise InvalidInput("clinic name must not be empty")
    if session.exec(select(Clinic).where(Clinic.name == name)).first() is not None:
        raise Conflict(f"a clinic named {name!r} already exists")
    clinic = Clinic(name=name, phone=phone, emergency_number=emergency_number, created_at=now)
    session.add(clinic)
    session.flush()
    return clinic


def create_staff(
    session: Session,
    *,
    clinic: Clinic,
    email: str,
    password: str,
    now: datetime,
    role: StaffRole = StaffRole.CLINICIAN,
    name: str = "",
) -> StaffUser:
    email = email.strip().lower()
    if problem := password_problem(password):
        raise InvalidInput(problem)
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first() is not None:
        raise Conflict(f"a staff account for {email} already exists")
    staff = StaffUser(
        clinic_id=clinic.id,
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        created_at=now,
    )
    session.add(staff)
    session.flush()
    return staff


def set_password(session: Session, *, staff: StaffUser, password: str) -> None:
    if problem := password_problem(password):
        raise InvalidInput(problem)
    staff.password_hash = hash_password(password)
    session.add(staff)
    session.flush()


def log_in(
    session: Session, *, email: str, password: str, now: datetime, settings: Settings
) -> tuple[StaffUser, str]:
    """Check credentials and open a server-side session: (staff, cookie token).

    Unknown e-mail, wrong password and disabled account give the same error after the same work.
    """
    staff = session.exec(select(StaffUser).where(StaffUser.email == email.strip().lower())).first()
    password_ok = verify_password(staff.password_hash if staff else None, password)
    if staff is None or not password_ok or staff.disabled_at is not None:
        raise NotAuthenticated(WRONG_CREDENTIALS, code="wrong_credentials")
    token, token_hash = new_token()
    session.add(
        StaffSession(
            staff_id=staff.id,
            token_hash=token_hash,
            created_at=now,
            last_seen_at=now,
            expires_at=now + settings.staff_session_absolute,
        )
    )
    session.flush()
    return staff, token


def log_out(session: Session, *, token: str, now: datetime) -> None:
    """End the session server-side; a second logout, or an unknown token, is a no-op."""
    session.execute(
        update(StaffSession)
        .where(
            col(StaffSession.token_hash) == hash_token(token),
            col(StaffSession.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )


def staff_for_token(
    session: Session, *, token: str, now: datetime, settings: Settings
) -> StaffUser | None:
    """The staff user behind a live session token (idle and absolute expiry), else None."""
    row = session.exec(
        select(StaffSession, StaffUser)
        .join(StaffUser, col(StaffUser.id) == StaffSession.staff_id)
        .where(StaffSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    staff_session, staff = row
    if (
        staff_session.revoked_at is not None
        or staff.disabled_at is not None
        or now >= staff_session.expires_at
        or now >= staff_session.last_seen_at + settings.staff_session_idle
    ):
        return None
    # Refresh the idle timer at most once a minute: not one write per request.
    if (now - staff_session.last_seen_at).total_seconds() >= 60:
        staff_session.last_seen_at = now
        session.add(staff_session)
    return staff


def clinic_of(session: Session, staff: StaffUser) -> Clinic:
    clinic = session.get(Clinic, staff.clinic_id)
    assert clinic is not None  # foreign key
    return clinic
