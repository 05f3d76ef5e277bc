"""The `aftercare` command: serve, demo, migrate, staff create, plan, backup, restore."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from importlib.util import find_spec
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app import backup as backups
from app.access_log import keep_query_strings_out_of_access_logs
from app.clinics import service as clinic_service
from app.clinics.models import Clinic, ClinicSettingsUpdate
from app.clock import SystemClock
from app.config import DEFAULT_PORT, Settings
from app.db import make_engine, session_factory, transaction
from app.demo import DEMO_STAFF_EMAIL, set_up_demo
from app.errors import AppError
from app.gc_tuning import freeze_start_up_objects
from app.invocation import pasteable_command, shown_path
from app.listen import CannotListen, check_can_listen
from app.migrate import upgrade_to_head
from app.notifications import metrics
from app.notifications.vapid import (
    VapidKeyMissing,
    VapidKeys,
    generate_keys,
    load_or_create,
    write_keys,
)
from app.patients.models import Patient
from app.protocols.loader import available_versions
from app.staff import audit, password_resets, passwords, second_factor, totp_secrets
from app.staff import service as staff_service
from app.staff.models import LoginRequest, StaffRole, StaffUser
from app.tasks import service as tasks

F = TypeVar("F", bound=Callable[..., Any])

# How `serve` runs uvicorn. Its proxy handling is off: it would trust 127.0.0.1 by default and
# believe X-Forwarded-For as sent; app.proxy_headers reads it for AFTERCARE_TRUSTED_PROXIES
# only. No `server: uvicorn` header: it tells a scanner which exploits to try first.
# httptools (C HTTP parser) and uvloop (libuv event loop), named, not "auto": a missing one
# fails at start instead of quietly costing more CPU per request. Server CPU per request
# against h11 and asyncio (bench/request_cost.py --http, one run, SQLite, a shared 2-core
# machine): GET /api/health 0.38 -> 0.28 ms, a phone's requests 0.83x on geometric mean
# (GET /api/me 2.64 -> 2.30 ms). uvloop does not exist on Windows: the asyncio loop there.
UVICORN_OPTIONS: dict[str, Any] = {
    "proxy_headers": False,
    "server_header": False,
    "http": "httptools",
    "loop": "uvloop" if find_spec("uvloop") else "asyncio",
}


def one_line_errors(command: F) -> F:
    """Turn expected failures into `Error: <one line>` and a non-zero exit, not a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AppError as exc:
            raise click.ClickException(exc.detail) from exc
        except (VapidKeyMissing, CannotListen) as exc:
            raise click.ClickException(str(exc)) from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            raise click.ClickException(f"{where}: {message}" if where else message) from exc
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise click.ClickException(f"database unavailable: {reason}") from exc

    return wrapper  # type: ignore[return-value]


@contextmanager
def unit_of_work(settings: Settings) -> Iterator[Session]:
    """A command's work on the deployment's database, hashing passwords at its argon2 cost."""
    passwords.configure(settings)
    engine = make_engine(settings.database_url)
    try:
        with transaction(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Aftercare: aftercare plans and reminders for vein clinics.

    Settings come from AFTERCARE_* environment variables (and a .env file).
    """


@main.command()
@one_line_errors
def migrate() -> None:
    """Create or upgrade the database schema to the newest version."""
    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()
    click.echo("database is up to date")


# What each `serve --workers N` process runs: the app built from the environment, in the worker.
WORKER_APP = "app.main:app_from_environment"
MAX_WORKERS = 64
# How long uvicorn waits for a worker to answer its liveness ping before it kills and replaces
# it. Its default of 5 s is shorter than a worker's start on a busy host: the ping thread
# starts only once the spawned interpreter has imported the app, and a worker killed for
# being slow to start is replaced by one just as slow (seen on the 2-core bench machine).
WORKER_HEALTHCHECK_SECONDS = 60
# SQLite takes one write transaction at a time, and the bound that keeps its lock waiters
# within the busy timeout (app.inflight) is per process: more processes add waiters, not writes.


class ProcessCount(click.IntRange):
    """A number of processes; a wrong one is one line naming the range, not click's usage."""

    name = "processes"

    def __init__(self, maximum: int) -> None:
        super().__init__(1, maximum)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            option = param.opts[0] if param is not None else "the count"
            raise click.ClickException(
                f"{option} takes a whole number of processes from {self.min} to {self.max}, "
                f"not {value!r}"
            ) from None


SQLITE_ONE_WORKER = (
    "--workers {workers} needs PostgreSQL: on SQLite one process serves (one writer at a "
    "time); set AFTERCARE_DATABASE_URL to a PostgreSQL database or leave --workers at 1"
)


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="address to listen on: 0.0.0.0 for every network (a phone on the same Wi-Fi)",
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="links use it too unless AFTERCARE_PUBLIC_URL is set",
)
@click.option(
    "--migrate/--no-migrate",
    default=True,
    show_default=True,
    help="apply migrations before serving (turn off when a release step runs them once)",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=ProcessCount(MAX_WORKERS),
    help="web processes sharing the port, each with its own dispatcher unless "
    "AFTERCARE_DISPATCHER_ENABLED=false (more than 1 needs PostgreSQL)",
)
@one_line_errors
def serve(host: str, port: int, migrate: bool, workers: int) -> None:
    """Apply migrations, then run the web service (and, unless turned off, the dispatcher)."""
    import uvicorn

    from app.main import create_app

    check_can_listen(host, port)  # before anything starts: else it starts, then stops
    settings = Settings().on_port(port)
    engine = make_engine(settings.database_url)
    if workers > 1 and engine.dialect.name != "postgresql":
        engine.dispose()
        raise click.ClickException(SQLITE_ONE_WORKER.format(workers=workers))
    if migrate:
        upgrade_to_head(engine)  # once, here: workers starting together must not race on it
    # With workers this process serves nothing, but building the app here checks the settings,
    # the protocol and the translations once, before any worker starts, and makes the
    # development VAPID and TOTP keys once, before any worker reads them.
    app = create_app(settings, engine=engine, freeze_start_up=workers == 1)
    keep_query_strings_out_of_access_logs()
    # Uvicorn names the address it listens on (0.0.0.0, say); people need the one to open.
    click.echo(f"Aftercare: open {settings.public_url}/console/ (staff) or an enrolment link")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, **UVICORN_OPTIONS)
        return
    engine.dispose()
    # Each worker is a fresh interpreter (spawned) that builds its own app and engine from
    # the environment: pass on what `serve` decided beyond it, the links' port and the
    # workers' share of the password checks.
    os.environ["AFTERCARE_PUBLIC_URL"] = settings.public_url
    # The cap on argon2 checks at once is there for the host's CPUs and memory, and each
    # process keeps its own: split it, or N workers would check N times as many at once.
    if settings.password_checks_in_flight is None:
        share = max(1, settings.password_check_slots // workers)
        os.environ["AFTERCARE_PASSWORD_CHECKS_IN_FLIGHT"] = str(share)
    # A scrape reaches one worker: each keeps its metrics in files here, and the answer adds
    # them all up. A fresh directory per start, as prometheus_client requires.
    metrics_dir = tempfile.mkdtemp(prefix="aftercare-metrics-")
    os.environ[metrics.MULTIPROCESS_DIR] = metrics_dir
    try:
        uvicorn.run(
            WORKER_APP,
            factory=True,
            workers=workers,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            host=host,
            port=port,
            **UVICORN_OPTIONS,
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


@main.command()
@one_line_errors
def worker() -> None:
    """Run only the notification dispatcher (for processes that do not serve the web app)."""
    import signal

    from apscheduler.schedulers.blocking import BlockingScheduler

    from app.scheduler import build_dispatcher, schedule_dispatch

    settings = Settings()
    keys = _vapid_keys(settings)
    engine = make_engine(settings.database_url)
    dispatcher = build_dispatcher(
        settings, session_factory=session_factory(engine), clock=SystemClock(), keys=keys
    )
    scheduler = BlockingScheduler(timezone="UTC")
    schedule_dispatch(scheduler, dispatcher, settings)

    def stop(*_: object) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"dispatcher running every {settings.dispatch_interval_seconds:g} s; Ctrl+C stops")
    freeze_start_up_objects()
    try:
        scheduler.start()
    finally:
        dispatcher.close()
        engine.dispose()


def _vapid_keys(settings: Settings) -> VapidKeys:
    try:
        return load_or_create(settings.vapid_private_key_file, create=settings.env == "development")
    except VapidKeyMissing as exc:
        raise click.ClickException(str(exc)) from exc


@main.group()
def vapid() -> None:
    """Manage the server's Web Push (VAPID) key pair."""


@vapid.command("generate")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="where to write the private key (default: AFTERCARE_VAPID_PRIVATE_KEY_FILE)",
)
@one_line_errors
def vapid_generate(out: Path | None) -> None:
    """Write a new key pair; print the settings that point to it. Never overwrites a key."""
    path = (out or Settings().vapid_private_key_file).resolve()
    keys = generate_keys()
    try:
        write_keys(keys, path)
    except FileExistsError:
        raise click.ClickException(
            f"{path} already exists: a new key needs new subscriptions, so move it away first"
        ) from None
    click.echo(f"AFTERCARE_VAPID_PRIVATE_KEY_FILE={path}")
    click.echo(f"# public key (applicationServerKey): {keys.public_key}")
    click.echo(f"# key id: {keys.key_id}")


@main.group("totp-key")
def totp_key() -> None:
    """Manage the key staff TOTP seeds are encrypted with."""


@totp_key.command("generate")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="where to write the key (default: AFTERCARE_TOTP_KEY_FILE, or beside the VAPID key)",
)
@one_line_errors
def totp_key_generate(out: Path | None) -> None:
    """Write a new key (owner-only); print the setting that points to it. Never overwrites."""
    path = (out or Settings().totp_key_path).resolve()
    try:
        totp_secrets.write_new_key(path)
    except FileExistsError:
        raise click.ClickException(
            f"{path} already exists: the second factors set up with it need it, so keep it"
        ) from None
    click.echo(f"{totp_secrets.SETTING}={path}")
    click.echo("# back this file up apart from the database: without it no TOTP code opens")


@main.group()
def staff() -> None:
    """Manage staff accounts."""


@staff.command("create")
@click.option("--clinic", "clinic_name", required=True, help="clinic name (created if new)")
@click.option("--email", required=True)
@click.option("--name", default="", help="the person's name")
@click.option(
    "--role", type=click.Choice([r.value for r in StaffRole]), default="admin", show_default=True
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="at least 12 characters; prompted for when omitted",
)
@click.option("--phone", default=None, help="the clinic's phone, patients call it when urgent")
@click.option(
    "--out-of-hours-phone", default=None, help="who patients call when the clinic is closed"
)
@click.option(
    "--out-of-hours-name",
    default=None,
    help='how the advice names them, e.g. "NHS 111" (default "the on-call nurse")',
)
@one_line_errors
def create_staff(
    clinic_name: str,
    email: str,
    name: str,
    role: str,
    password: str,
    phone: str | None,
    out_of_hours_phone: str | None,
    out_of_hours_name: str | None,
) -> None:
    """Create a staff account (and its clinic, the first time).

    --phone, --out-of-hours-phone and --out-of-hours-name set the clinic's numbers (also for
    an existing clinic); patients can be enrolled once the two phones are set.
    """
    settings = Settings()
    now = SystemClock().now()
    LoginRequest(email=email, password=password)  # the same e-mail rules as the login form
    numbers = ClinicSettingsUpdate.model_validate(
        {
            key: value
            for key, value in (
                ("phone", phone),
                ("out_of_hours_phone", out_of_hours_phone),
                ("out_of_hours_name", out_of_hours_name),
            )
            if value is not None
        }
    )
    with unit_of_work(settings) as session:
        clinic = session.exec(select(Clinic).where(Clinic.name == clinic_name.strip())).first()
        if clinic is None:
            clinic = staff_service.create_clinic(session, name=clinic_name, now=now)
        clinic_service.update(session, clinic=clinic, data=numbers)
        user = staff_service.create_staff(
            session,
            clinic=clinic,
            email=email,
            password=password,
            now=now,
            role=StaffRole(role),
            name=name,
        )
        click.echo(f"created {user.role} {user.email} in clinic {clinic.name!r}")
        if not (clinic.phone and clinic.out_of_hours_phone):
            click.echo(
                "note: patients cannot be enrolled until the clinic has a phone and an "
                "out-of-hours phone (--phone, --out-of-hours-phone, or the console's Settings)"
            )


@staff.command("reset-password")
@click.option("--email", required=True, help="the account's e-mail address")
@click.option(
    "--two-step",
    is_flag=True,
    help="also turn the account's two-step sign-in off (a lost phone)",
)
@one_line_errors
def reset_staff_password(email: str, two_step: bool) -> None:
    """Print a one-time set-password link for the account (the last admin locked out).

    The password stays until the link is used; using it ends the account's sessions.
    """
    settings = Settings()
    now = SystemClock().now()
    with unit_of_work(settings) as session:
        user = session.exec(
            select(StaffUser).where(StaffUser.email == email.strip().lower())
        ).first()
        if user is None:
            raise click.ClickException(f"no staff account has the e-mail address {email!r}")
        issued = password_resets.issue(
            session, staff=user, issued_by=None, now=now, settings=settings
        )
        detail = {"staff_id": str(user.id), "by": "command_line"}
        audit.record(
            session, staff=None, action="staff.password_reset_issue", now=now,
            detail=detail, clinic_id=user.clinic_id,
        )  # fmt: skip
        if two_step and user.totp_enabled_at is not None:
            second_factor.clear(session, staff=user, now=now)
            audit.record(
                session, staff=None, action="staff.totp_reset", now=now,
                detail=detail, clinic_id=user.clinic_id,
            )  # fmt: skip
    until = f"{issued.expires_at:%d %b %Y %H:%M} UTC"
    click.echo(f"Set-password link for {user.email} (one use, until {until}):")
    click.echo(f"  {issued.url}")
    if two_step:
        click.echo(
            "Two-step sign-in is off: where the role needs it, it is set up at the next sign-in."
        )


@main.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="replace TARGET if it exists")
@one_line_errors
def backup(target: Path, overwrite: bool) -> None:
    """Copy the SQLite database to TARGET while the service runs (PostgreSQL: use pg_dump)."""
    result = backups.backup_sqlite(Settings().database_url, target, overwrite=overwrite)
    click.echo(
        f"backed up to {result.path} ({result.size_bytes} bytes, schema {result.schema_revision})"
    )


@main.command()
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask; the service must be stopped")
@one_line_errors
def restore(source: Path, yes: bool) -> None:
    """Replace the SQLite database's content with the backup SOURCE (stop the service first)."""
    settings = Settings()
    if not yes:
        click.confirm(
            f"Replace everything in {backups.sqlite_path(settings.database_url)} "
            f"with {source}? Stop the service first.",
            abort=True,
        )
    result = backups.restore_sqlite(source, settings.database_url)
    click.echo(f"restored {result.path} from {source} (schema {result.schema_revision})")
    click.echo("run `aftercare migrate` if this backup is older than the installed version")


@main.command()
@click.argument("patient_id")
@one_line_errors
def plan(patient_id: str) -> None:
    """Print a patient's plan as a table, in the patient's local time.

    The plan is the stored one, computed from the patient's pinned protocol version (named in
    the header); visits the clinic has not booked yet are marked "to be booked".
    """
    try:
        pid = uuid.UUID(patient_id)
    except ValueError:
        raise click.ClickException(f"{patient_id!r} is not a patient id (a UUID)") from None
    settings = Settings()
    now = SystemClock().now()
    with unit_of_work(settings) as session:
        patient = session.get(Patient, pid)
        if patient is None:
            raise click.ClickException(f"no patient with id {pid}")
        click.echo(format_plan(session, patient, now))


def format_plan(session: Session, patient: Patient, now: datetime) -> str:
    """The stored plan as a fixed-width table for staff checking it by eye."""
    zone = ZoneInfo(patient.time_zone)
    newest = max(available_versions(patient.protocol))
    newer = f", v{newest} available" if newest > patient.protocol_version else ""
    stockings = "advised" if patient.stockings_advised else "not advised"
    rows = tasks.list_all(session, patient=patient)
    header = f"{'day':<16} {'time':<5}  {'until':<16}  {'kind':<11} {'status':<8} {'push':<4}  task"
    lines = [
        f"Plan for {patient.name} ({patient.time_zone}, wake {patient.wake_time:%H:%M}, "
        f"bed {patient.bed_time:%H:%M}, stockings {stockings})",
        f"Protocol {patient.protocol} v{patient.protocol_version} (pinned{newer})",
        header,
        "-" * len(header),
    ]
    for row in rows:
        due = row.due_at.astimezone(zone)
        end = row.window_end.astimezone(zone)
        lines.append(
            f"{due:%a %d %b %Y} {due:%H:%M}  {end:%a %d %b %H:%M}  {row.kind:<11} "
            f"{tasks.status_of(row, now):<8} {'yes' if row.notifies else '':<4}  {row.title}"
            + ("  (to be booked: day planned, time not agreed)" if row.tentative else "")
        )
    return "\n".join(lines)


@main.command()
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="the port `serve` listens on; links use it unless AFTERCARE_PUBLIC_URL is set",
)
@click.option(
    "--url",
    "public_url",
    default=None,
    help="the address links start with (default: AFTERCARE_PUBLIC_URL, else this machine)",
)
@one_line_errors
def demo(port: int, public_url: str | None) -> None:
    """Set up a demo clinic, staff login and patient; print the login and an enrolment link.

    Safe to run again: it keeps the demo data and the password (in var/demo-password, see
    AFTERCARE_DEMO_PASSWORD_FILE) and issues a new link.
    """
    settings = (Settings() if public_url is None else Settings(public_url=public_url)).on_port(port)
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)
    engine.dispose()
    with unit_of_work(settings) as session:
        made = set_up_demo(session, settings=settings, now=SystemClock().now())
    cwd = Path.cwd()
    kept_in = shown_path(settings.demo_password_file, cwd)
    click.echo(
        "\n".join(
            [
                "Aftercare demo is ready.",
                f"  Admin login:     {DEMO_STAFF_EMAIL}  password: {made.password}",
                f"                   (the same every run; kept in {kept_in})",
                *(
                    [
                        "                   (admins set up two-step sign-in at the first "
                        "sign-in: have an authenticator app ready)"
                    ]
                    if "admin" in settings.totp_required_roles
                    else []
                ),
                f"  Clinic console:  {settings.public_url}/console/",
                f"  Enrolment link:  {made.link.url}",
                f"                   (one use, open it on the patient's phone; "
                f"expires {made.link.expires_at:%d %b %Y})",
                f"  Demo patient:    {pasteable_command(cwd=cwd)} plan {made.patient_id}",
                f"  API docs:        {settings.public_url}/docs",
            ]
        )
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
