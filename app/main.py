"""create_app(): wires settings, clock, database and protocol, mounts /api, then app/web/."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler
from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from app.access_log import keep_query_strings_out_of_access_logs
from app.allowed_methods import AllowedMethods
from app.api import staff_auth
from app.api.error_words import in_patients_language
from app.api.routes.adherence import router as adherence_router
from app.api.routes.alerts import router as alerts_router
from app.api.routes.audit import router as audit_router
from app.api.routes.carers import router as carers_router
from app.api.routes.clinic import router as clinic_router
from app.api.routes.locales import router as locales_router
from app.api.routes.metrics import router as metrics_router
from app.api.routes.password_reset import router as password_reset_router
from app.api.routes.patient_device import router as device_router
from app.api.routes.patient_list import router as patient_list_router
from app.api.routes.patient_records import router as patient_records_router
from app.api.routes.patients import router as patients_router
from app.api.routes.push import router as push_router
from app.api.routes.reports import router as reports_router
from app.api.routes.staff_accounts import router as staff_admin_router
from app.api.routes.staff_own_sessions import router as own_sessions_router
from app.api.routes.staff_session import router as staff_router
from app.api.routes.tasks import router as tasks_router
from app.api.routes.treatments import router as treatments_router
from app.api.routes.visits import router as visits_router
from app.api_docs import DOCS_PATH, mount_api_docs
from app.clock import Clock, SystemClock
from app.config import Settings
from app.csrf import CrossSiteGuard
from app.db import make_engine, session_factory
from app.db_unavailable import DatabaseHealth, install_database_unavailable
from app.errors import install_error_handlers
from app.gc_tuning import freeze_start_up_objects
from app.i18n import catalogue
from app.i18n.languages import TRANSLATED
from app.inflight import InFlightLimit, in_flight_limit
from app.limits import BodySizeLimit
from app.notifications.actions import action_secret, receipt_secret
from app.notifications.dispatcher import Dispatcher
from app.notifications.vapid import load_or_create
from app.openapi_refusals import document_refusals
from app.patients.protocols import ProtocolSource
from app.protocols.translations import by_english as protocol_texts
from app.proxy_headers import ProxyHeaders
from app.reports.translated_rules import overlay as triage_texts
from app.scheduler import build_dispatcher, start_in_background
from app.security_headers import SecurityHeaders
from app.server_time import ServerTime
from app.staff import passwords, totp_secrets

WEB_DIR = Path(__file__).resolve().parent / "web"

health_router = APIRouter(tags=["service"])


@health_router.get("/api/health")
async def health(request: Request) -> dict[str, str]:
    """Liveness: the process answers (it does not touch the database).

    `{"status": "ok"}`; `{"status": "degraded", "database": "full"}` (or `"unavailable"`)
    while a request met a full or unreachable database in the last two minutes. Still 200:
    restarting the process would not bring the database back or free its disk.
    """
    database_health: DatabaseHealth = request.app.state.database_health
    problem = database_health.current()
    return {"status": "ok"} if problem is None else {"status": "degraded", "database": problem}


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    freeze_start_up: bool = False,
) -> FastAPI:
    """The Aftercare application; tests pass their own clock and engine. A serving process
    passes `freeze_start_up` (app/gc_tuning.py), which a test process must not do."""
    settings = settings or Settings()
    passwords.configure(settings)
    totp_secrets.configure(settings)  # TOTP seeds at rest; production needs the key file
    owns_engine = engine is None  # dispose only what we made; a test's engine outlives the app
    engine = engine or make_engine(settings.database_url)

    factory = session_factory(engine)
    clock = clock or SystemClock()
    # Production refuses to start without a key; development makes one once and keeps it.
    keys = load_or_create(settings.vapid_private_key_file, create=settings.env == "development")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = dispatcher = None
        if settings.dispatcher_enabled:
            dispatcher = build_dispatcher(settings, session_factory=factory, clock=clock, keys=keys)
            scheduler = start_in_background(dispatcher, settings)
        if freeze_start_up:
            freeze_start_up_objects()  # last: the dispatcher's objects live as long
        yield
        if scheduler is not None and dispatcher is not None:
            # In a thread: the dispatcher's own event loop cannot run inside the server's.
            await asyncio.to_thread(_stop, scheduler, dispatcher)
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        docs_url=None,  # mount_api_docs serves them without a CDN
        redoc_url=None,
        title="Aftercare",
        version="0.1.0",
        summary="Aftercare plans and reminders after microsclerotherapy.",
        lifespan=lifespan,
    )
    # Interactive docs are for development; the schema stays available to integrators.
    page_policies = {} if settings.env == "production" else {DOCS_PATH: mount_api_docs(app)}
    app.state.settings = settings
    app.state.clock = clock
    app.state.engine = engine
    app.state.session_factory = factory
    app.state.vapid_keys = keys
    app.state.action_secret = action_secret(keys)
    app.state.receipt_secret = receipt_secret(keys)
    # Every plan follows the patient's own pinned version; new patients get the newest.
    app.state.protocols = ProtocolSource(
        configured=settings.protocol, configured_version=settings.protocol_version
    )
    app.state.protocols.enrolling()  # a missing or invalid protocol stops the start, not a request
    _load_translations()  # so does a broken translation file
    install_error_handlers(app, localise=in_patients_language)
    app.state.database_health = DatabaseHealth(clock)
    install_database_unavailable(app, app.state.database_health)
    # Innermost: a queued request holds no worker thread and no database connection.
    app.add_middleware(InFlightLimit, limit=in_flight_limit(engine))
    app.add_middleware(AllowedMethods, router=app.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(  # inside SecurityHeaders
        CrossSiteGuard,
        public_url=settings.public_url,
        loopback_aliases=settings.env == "development",
    )
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies, page_policies=page_policies)
    app.add_middleware(ServerTime, clock=clock)
    # The PWA's first load is ~93 KB raw, ~31 KB compressed: a cheap phone on a slow link cares.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    # Outermost: everything inside, the access log too, sees the client a trusted proxy named.
    app.add_middleware(ProxyHeaders, trusted=settings.trusted_proxies)
    # FastAPI matches a request by walking the included routers in this order, so the phone's
    # most frequent requests (its profile, the day's tasks, a tick) come first: behind the 13
    # staff routers, matching cost ~0.3-0.6 ms of CPU per phone request (bench/request_cost.py).
    # No path of theirs can match another router's route: /api/enrol and /api/me/... are theirs.
    routers = (
        health_router,
        device_router,
        tasks_router,
        staff_router,
        password_reset_router,
        own_sessions_router,  # before staff_admin_router: /api/staff/me/… is not a staff id
        staff_admin_router,
        audit_router,
        clinic_router,
        patient_list_router,
        adherence_router,
        patients_router,
        treatments_router,
        patient_records_router,
        visits_router,
        carers_router,
        reports_router,
        alerts_router,
        push_router,
        metrics_router,
        locales_router,
    )
    for router in routers:
        app.include_router(router)
    _mount_web(app)
    document_refusals(app, staff_auth.route_refusals)
    return app


def app_from_environment(*, freeze_start_up: bool = True) -> FastAPI:
    """The app of one `aftercare serve --workers N` process, with its own engine and dispatcher.

    Uvicorn calls it in each worker (a spawned interpreter): settings come from the
    environment, as `serve` left it. The worker configured its logging afresh, so the
    access-log filter goes on here, before the first request is logged.
    """
    keep_query_strings_out_of_access_logs()
    return create_app(Settings(), freeze_start_up=freeze_start_up)


def _load_translations() -> None:
    """Read every language's server texts, protocol texts and triage texts once, now."""
    catalogue.load()
    for language in TRANSLATED:
        protocol_texts(language)
        triage_texts(language)


def _stop(scheduler: BaseScheduler, dispatcher: Dispatcher) -> None:
    scheduler.shutdown(wait=True)  # lets a run in progress finish recording its outcomes
    dispatcher.close()


def _mount_web(app: FastAPI) -> None:
    """Serve the PWA; /enrol is the same page (it reads the code from the URL fragment)."""

    @app.get("/enrol", include_in_schema=False)
    def enrol_page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
