"""create_app(): wires settings, clock, database and protocol, mounts /api, then web/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from app.clock import Clock, SystemClock
from app.config import Settings
from app.db import make_engine, session_factory
from app.errors import install_error_handlers
from app.limits import BodySizeLimit
from app.patients.device_router import router as device_router
from app.patients.router import router as patients_router
from app.protocols.loader import load_protocol
from app.staff.router import router as staff_router
from app.tasks.router import router as tasks_router

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

health_router = APIRouter(tags=["service"])


@health_router.get("/api/health")
def health() -> dict[str, str]:
    """Liveness: the process answers (it does not touch the database)."""
    return {"status": "ok"}


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    """The Aftercare application; tests pass their own clock and engine."""
    settings = settings or Settings()
    owns_engine = engine is None  # dispose only what we made; a test's engine outlives the app
    engine = engine or make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="Aftercare",
        version="0.1.0",
        summary="Aftercare plans and reminders after microsclerotherapy.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.protocol = load_protocol(settings.protocol)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    for router in (health_router, staff_router, patients_router, device_router, tasks_router):
        app.include_router(router)
    _mount_web(app)
    return app


def _mount_web(app: FastAPI) -> None:
    """Serve the PWA; /enrol is the same page (it reads the code from the URL fragment)."""

    @app.get("/enrol", include_in_schema=False)
    def enrol_page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
