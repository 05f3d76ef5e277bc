"""Staff route for the clinic's visits still to book, across its patients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import ClockDep, SessionDep
from app.api.staff_auth import CurrentStaff
from app.appointments import bookings
from app.appointments.models import VisitToBook
from app.error_codes import ErrorCode
from app.errors import errors
from app.staff.service import clinic_of

router = APIRouter(prefix="/api/visits", tags=["patients (staff)"])


@router.get("/to-book", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def list_visits_to_book(
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    days: Annotated[
        int,
        Query(ge=1, le=bookings.MAX_TO_BOOK_DAYS, description="how many days ahead to look"),
    ] = bookings.TO_BOOK_DAYS,
) -> list[VisitToBook]:
    """The clinic's visits not booked yet in the next `days` days (default 28), soonest first.

    Each has its target day in the clinic's zone and `suggested_at`, a time inside the
    opening hours: the planned time of day if the clinic is open then, else its first
    opening from the target day on (no opening hours kept: the planned time).
    """
    clinic = clinic_of(session, staff)
    return bookings.visits_to_book(session, clinic=clinic, now=clock.now(), days=days)
