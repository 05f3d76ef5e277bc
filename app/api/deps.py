"""Dependency aliases for what every route needs: settings, clock, protocol, database session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from anyio import CancelScope, CapacityLimiter, to_thread
from fastapi import Depends, Query, Request
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import Clock
from app.config import Settings
from app.db import transaction
from app.patients.protocols import ProtocolSource
from app.protocols.loader import Protocol

# Requests that only read (or write rarely): their sessions begin deferred on SQLite.
READS = frozenset({"GET", "HEAD"})

# The plain lookups below are `async def` on purpose: FastAPI runs a sync dependency in a
# worker thread, and a thread hop costs far more CPU than reading an attribute.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_protocols(request: Request) -> ProtocolSource:
    """Where protocols come from; a patient's plan uses `source.pinned(patient)`."""
    source: ProtocolSource = request.app.state.protocols
    return source


async def get_protocol(request: Request) -> Protocol:
    """The configured protocol at its configured (or newest) version: what enrolment pins."""
    source: ProtocolSource = request.app.state.protocols
    return source.enrolling()


async def get_session_factory(request: Request) -> sessionmaker[Session]:
    """The app's session factory: rate-limit failures are recorded outside the request's unit."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed when the handler returns, rolled back on error.

    What FastAPI does for a sync generator dependency, less one thread hop: a new Session does
    no I/O until its first query, so it is opened here on the event loop; commit or rollback
    talk to the database, so they run in a worker thread, shielded from cancellation and with
    a limiter of their own (as FastAPI's): ending a transaction must never wait for a thread
    held by a request that is waiting for this one's connection or lock.

    GET and HEAD requests read: on SQLite their transaction begins DEFERRED and takes the
    write lock only if they write after all (a session's idle timer, once a minute), so a
    patient's read never queues behind the writers (app/db.py says how such a write waits).
    """
    unit = transaction(request.app.state.session_factory, read=request.method in READS)
    session = unit.__enter__()
    ending = CapacityLimiter(1)
    try:
        yield session
    except BaseException as error:
        with CancelScope(shield=True):
            handled = await to_thread.run_sync(
                unit.__exit__, type(error), error, error.__traceback__, limiter=ending
            )
        if not handled:
            raise
    else:
        with CancelScope(shield=True):
            await to_thread.run_sync(unit.__exit__, None, None, None, limiter=ending)


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
ProtocolDep = Annotated[Protocol, Depends(get_protocol)]
ProtocolsDep = Annotated[ProtocolSource, Depends(get_protocols)]
# scope="function": commit before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
# `?date=` on a patient's day routes (the tasks of a day, progress on a day).
LocalDayQuery = Annotated[
    date | None, Query(alias="date", description="a local day, YYYY-MM-DD; default today")
]
