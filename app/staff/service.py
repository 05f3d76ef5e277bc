"""Staff use cases: clinics, accounts, log in and out, resolving a session cookie."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.config import Settings
from app.db import transaction
from app.error_codes import ErrorCode
from app.errors import Conflict, InvalidInput, NotAuthenticated
from app.shared.tokens import hash_token, new_token
from app.staff import audit, totp
from app.staff.models import StaffRole, StaffSession, StaffUser
from app.staff.passwords import hash_password, needs_rehash, password_problem, verify_password

WRONG_CREDENTIALS = "The e-mail address or password is not right."
WRONG_CODE = "That code is not right, or it has been used already."
# Long enough to open the authenticator app and type a code; a stolen password alone opens
# nothing but the TOTP step, and only for this long.
PENDING_SESSION_LIFETIME = timedelta(minutes=5)
USER_AGENT_MAX = 200
# Audit actions of signing in and out (password changes and TOTP on/off: the routes').
LOGIN = "staff.login"
LOGIN_FAILED = "staff.login_failed"
LOGIN_REFUSED = "staff.login_refused"
LOGOUT = "staff.logout"
REFUSAL_AUDIT_EVERY = timedelta(minutes=1)
REFUSAL_MEMO_MAX = 10_000
_REFUSALS_AUDITED: dict[tuple[str, str, str], datetime] = {}


class WrongPassword(InvalidInput):
    """A signed-in user re-entered their password wrongly (422: the session is still fine)."""

    code = ErrorCode.WRONG_PASSWORD


class WrongCode(InvalidInput):
    """A signed-in user's TOTP code is wrong or already used (422: the session is still fine)."""

    code = ErrorCode.WRONG_CODE


def create_clinic(
    session: Session,
    *,
    name: str,
    now: datetime,
    phone: str = "",
    emergency_number: str = "999",
    out_of_hours_phone: str = "",
    out_of_hours_name: str = "the on-call nurse",
) -> Clinic:
    name = name.strip()
    if not name:
        raise InvalidInput("clinic name must not be empty")
    if session.exec(select(Clinic).where(Clinic.name == name)).first() is not None:
        raise Conflict(f"a clinic named {name!r} already exists")
    clinic = Clinic(
        name=name,
        phone=phone,
        emergency_number=emergency_number,
        out_of_hours_phone=out_of_hours_phone,
        out_of_hours_name=out_of_hours_name,
        created_at=now,
    )
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
    # The same words whichever clinic holds the address: the admin's own list shows their own
    # staff, and the answer adds nothing about another clinic's (docs/security/small.md).
    taken = Conflict(
        "This e-mail address cannot be given a new account: it has one already.",
        code=ErrorCode.EMAIL_TAKEN,
    )
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first() is not None:
        raise taken
    staff = StaffUser(
        clinic_id=clinic.id,
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        created_at=now,
    )
    try:
        # A savepoint: the same address added at the same moment elsewhere fails only this.
        with session.begin_nested():
            session.add(staff)
            session.flush()
    except IntegrityError:
        raise taken from None
    return staff


def set_password(session: Session, *, staff: StaffUser, password: str) -> None:
    if problem := password_problem(password):
        raise InvalidInput(problem)
    staff.password_hash = hash_password(password)
    session.add(staff)
    session.flush()


def _nothing(_: Session) -> None:
    return None


def log_in(
    factory: sessionmaker[Session],
    *,
    email: str,
    password: str,
    now: datetime,
    settings: Settings,
    ip: str = "",
    user_agent: str = "",
    on_success: Callable[[Session], None] = _nothing,
) -> tuple[StaffUser, Clinic, str, bool]:
    """Check credentials and open a server-side session: (staff, clinic, token, TOTP owed).

    With TOTP on, the session is *pending*: it opens nothing but the TOTP step, for five
    minutes. Unknown e-mail, wrong password and disabled account give the same error after
    the same work. `on_success(session)` runs in the transaction that opens the session.

    The password check (argon2id, ~100 ms) runs with no transaction open: the account is
    read in a short read transaction first, and the session is written in a short write
    transaction after. On SQLite, where a write transaction holds the database's one write
    lock, checking inside it made every other request wait for each login's argon2.
    """
    address = email.strip().lower()
    with transaction(factory, read=True) as session:
        found = session.exec(select(StaffUser).where(StaffUser.email == address)).first()
    password_ok = verify_password(found.password_hash if found else None, password)
    if found is None or not password_ok or found.disabled_at is not None:
        with transaction(factory) as session:
            # An unknown address is recorded with no account and without the address typed.
            audit.record(
                session,
                staff=found,
                action=LOGIN_FAILED,
                now=now,
                ip=ip,
                detail={"step": "password"},
            )
        raise NotAuthenticated(WRONG_CREDENTIALS, code=ErrorCode.WRONG_CREDENTIALS)
    # Made at an older cost: upgrade it while we can (hashing, too, outside the transaction).
    new_hash = hash_password(password) if needs_rehash(found.password_hash) else None
    with transaction(factory) as session:
        staff = session.get(StaffUser, found.id)
        # Read again under the write: disabled, or given a new password, while argon2 ran?
        # A changed hash is checked again (rarely: it is most often another login's rehash
        # of the same password, and then checking it here is right, if on the lock).
        if (
            staff is None
            or staff.disabled_at is not None
            or (
                staff.password_hash != found.password_hash
                and not verify_password(staff.password_hash, password)
            )
        ):
            raise NotAuthenticated(WRONG_CREDENTIALS, code=ErrorCode.WRONG_CREDENTIALS)
        if staff.password_hash != found.password_hash:
            new_hash = None  # remade meanwhile
        if new_hash is not None:
            staff.password_hash = new_hash
            session.add(staff)
        pending = staff.totp_enabled_at is not None
        token = open_session(
            session,
            staff=staff,
            now=now,
            lifetime=PENDING_SESSION_LIFETIME if pending else settings.staff_session_absolute,
            pending=pending,
            ip=ip,
            user_agent=user_agent,
        )
        if not pending:  # with TOTP on, signed in only once the code is right
            audit.record(session, staff=staff, action=LOGIN, now=now, ip=ip)
        on_success(session)
        clinic = clinic_of(session, staff)
    return staff, clinic, token, pending


def record_refusal(
    factory: sessionmaker[Session],
    *,
    email: str,
    step: str,
    retry_after: int,
    now: datetime,
    ip: str = "",
) -> None:
    """Audit a sign-in refused for being over a limit (the account's, if the address is one).

    At most one event per address, client and step a minute in this process: a client
    hammering a refused key costs one read each, and must not cost a write each.
    """
    address = email.strip().lower()
    memo = (address, ip, step)
    last = _REFUSALS_AUDITED.get(memo)
    if last is not None and now - last < REFUSAL_AUDIT_EVERY:
        return
    if len(_REFUSALS_AUDITED) >= REFUSAL_MEMO_MAX:
        _REFUSALS_AUDITED.clear()
    _REFUSALS_AUDITED[memo] = now
    with transaction(factory) as session:
        staff = session.exec(select(StaffUser).where(StaffUser.email == address)).first()
        audit.record(
            session,
            staff=staff,
            action=LOGIN_REFUSED,
            now=now,
            ip=ip,
            detail={"step": step, "retry_after": retry_after},
        )


def record_failed_code(
    factory: sessionmaker[Session], *, staff_id: uuid.UUID, now: datetime, ip: str = ""
) -> None:
    """Audit a wrong TOTP code at sign-in, in a transaction of its own (the request's is
    rolled back, and the objects it loaded are expired: they are not touched here)."""
    with transaction(factory) as session:
        staff = session.get(StaffUser, staff_id)
        audit.record(
            session, staff=staff, action=LOGIN_FAILED, now=now, ip=ip, detail={"step": "totp"}
        )


def open_session(
    session: Session,
    *,
    staff: StaffUser,
    now: datetime,
    lifetime: timedelta,
    pending: bool = False,
    ip: str = "",
    user_agent: str = "",
) -> str:
    """A new session for `staff`; returns the cookie token (only its hash is stored)."""
    token, token_hash = new_token()
    session.add(
        StaffSession(
            staff_id=staff.id,
            token_hash=token_hash,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            second_factor_pending=pending,
            ip=ip[:64],
            user_agent=user_agent[:USER_AGENT_MAX],
        )
    )
    session.flush()
    return token


def pending_login(session: Session, *, token: str, now: datetime) -> tuple[StaffSession, StaffUser]:
    """The live pending session behind `token` and its user, else NotAuthenticated."""
    row = session.exec(
        select(StaffSession, StaffUser)
        .join(StaffUser, col(StaffUser.id) == StaffSession.staff_id)
        .where(StaffSession.token_hash == hash_token(token))
    ).first()
    if row is not None:
        pending, staff = row
        if (
            pending.second_factor_pending
            and pending.revoked_at is None
            and now < pending.expires_at
            and staff.disabled_at is None
            and staff.totp_enabled_at is not None
        ):
            return pending, staff
    raise NotAuthenticated("Please sign in again.", code=ErrorCode.NOT_AUTHENTICATED)


def finish_login(
    session: Session,
    *,
    pending: StaffSession,
    staff: StaffUser,
    code: str,
    now: datetime,
    settings: Settings,
    ip: str = "",
    user_agent: str = "",
) -> str:
    """Check the TOTP code; end the pending session and open a full one under a new token.

    A fresh token, not the pending one promoted: a token planted in the browser before the
    login (session fixation) never becomes a signed-in session.
    """
    # Conditional, like the code: two right codes sent at once on one pending session must
    # not open two sessions (a failure below rolls this back with the rest of the request).
    ended = session.execute(
        update(StaffSession)
        .where(col(StaffSession.id) == pending.id, col(StaffSession.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        raise NotAuthenticated("Please sign in again.", code=ErrorCode.NOT_AUTHENTICATED)
    if not use_totp_code(session, staff=staff, code=code, now=now):
        raise NotAuthenticated(WRONG_CODE, code=ErrorCode.WRONG_CODE)
    audit.record(session, staff=staff, action=LOGIN, now=now, ip=ip, detail={"second_factor": True})
    return open_session(
        session,
        staff=staff,
        now=now,
        lifetime=settings.staff_session_absolute,
        ip=ip,
        user_agent=user_agent,
    )


def use_totp_code(session: Session, *, staff: StaffUser, code: str, now: datetime) -> bool:
    """True if `code` is right for `staff` now and its time step was not used before.

    The step is claimed with a conditional UPDATE: of two requests with the same code, even
    at the same instant on two instances, exactly one wins.
    """
    if staff.totp_secret is None:
        return False
    step = totp.matching_step(staff.totp_secret, code, now)
    if step is None:
        return False
    claimed = session.execute(
        update(StaffUser)
        .where(
            col(StaffUser.id) == staff.id,
            col(StaffUser.totp_secret) == staff.totp_secret,
            (col(StaffUser.totp_last_step).is_(None)) | (col(StaffUser.totp_last_step) < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.expire(staff, ["totp_last_step"])  # changed behind the ORM's back: read it again
    return True


def check_password(staff: StaffUser, password: str) -> None:
    """A signed-in user's password re-check (before changing security settings)."""
    if not verify_password(staff.password_hash, password):
        raise WrongPassword("The password is not right.")


def change_password(
    session: Session,
    *,
    staff: StaffUser,
    current_password: str,
    new_password: str,
    keep_token: str,
    now: datetime,
) -> None:
    """Set a new password and end every other session of the account (this one stays)."""
    check_password(staff, current_password)
    set_password(session, staff=staff, password=new_password)
    revoke_sessions(session, staff_id=staff.id, now=now, keep_token_hash=hash_token(keep_token))


def revoke_sessions(
    session: Session,
    *,
    staff_id: uuid.UUID,
    now: datetime,
    keep_token_hash: str | None = None,
) -> None:
    """End the account's live sessions (pending ones too), except the one kept."""
    query = update(StaffSession).where(
        col(StaffSession.staff_id) == staff_id, col(StaffSession.revoked_at).is_(None)
    )
    if keep_token_hash is not None:
        query = query.where(col(StaffSession.token_hash) != keep_token_hash)
    session.execute(query.values(revoked_at=now).execution_options(synchronize_session=False))


def log_out(session: Session, *, token: str, now: datetime, ip: str = "") -> None:
    """End the session server-side; a second logout, or an unknown token, is a no-op."""
    row = session.exec(
        select(StaffSession, StaffUser)
        .join(StaffUser, col(StaffUser.id) == StaffSession.staff_id)
        .where(
            col(StaffSession.token_hash) == hash_token(token),
            col(StaffSession.revoked_at).is_(None),
        )
    ).first()
    if row is None:
        return
    ended = session.execute(
        update(StaffSession)
        .where(col(StaffSession.id) == row[0].id, col(StaffSession.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount == 1:  # type: ignore[attr-defined]
        audit.record(session, staff=row[1], action=LOGOUT, now=now, ip=ip)


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
        staff_session.second_factor_pending  # password only: opens nothing but the TOTP step
        or staff_session.revoked_at is not None
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
