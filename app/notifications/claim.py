"""Claiming due outbox rows: two index ranges merged in claim order, held under a lease."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CTE, ColumnElement, Select, union_all, update
from sqlalchemy import select as sa_select
from sqlalchemy.sql.dml import ReturningUpdate
from sqlmodel import Session, col

from app.notifications.models import OutboxMessage, OutboxStatus


def claim_due(
    session: Session, now: datetime, *, batch: int, lease: timedelta
) -> list[tuple[int, str]]:
    """Take up to `batch` due rows (and rows whose lease ran out): (id, kind) of each.

    Atomic with the caller's transaction: commit it promptly, other dispatchers skip these
    rows until then (PostgreSQL) or wait on the write lock (SQLite).
    """
    statement = claim_statement(
        now,
        batch=batch,
        lease_until=now + lease,
        postgres=session.get_bind().dialect.name == "postgresql",
    )
    return [(row_id, kind) for row_id, kind in session.exec(statement).all()]


def claim_candidates(now: datetime, *, batch: int, postgres: bool) -> Select[int]:
    """The ids of the first `batch` claimable rows, in (next_attempt_at, id) order.

    Two ranges of the (status, next_attempt_at, id) index, each cut at `batch` rows, then
    merged: one query with an OR between them sorted every due row (175 ms on PostgreSQL at
    100,000 due rows, against 5 ms now). Each part is materialised, once: PostgreSQL could
    otherwise evaluate a subquery of the UPDATE more than once, and with SKIP LOCKED each run
    could pick other rows. Rows a part locked but the merge left out stay locked until the
    claim commits: other dispatchers skip them that long, and the next claim takes them.
    """
    table = OutboxMessage

    def part(name: str, status: OutboxStatus, claimable: ColumnElement[bool]) -> CTE:
        rows = (
            sa_select(col(table.id), col(table.next_attempt_at))
            .where(col(table.status) == status, claimable)
            .order_by(col(table.next_attempt_at), col(table.id))
            .limit(batch)
        )
        if not postgres:
            return rows.cte(name)
        # Concurrent dispatchers skip each other's rows instead of waiting on them.
        return rows.with_for_update(skip_locked=True).cte(name).prefix_with("MATERIALIZED")

    due = part("due", OutboxStatus.PENDING, col(table.next_attempt_at) <= now)
    lapsed = part("lapsed", OutboxStatus.SENDING, col(table.lease_until) < now)
    merged = union_all(
        sa_select(due.c.id, due.c.next_attempt_at),
        sa_select(lapsed.c.id, lapsed.c.next_attempt_at),
    ).subquery()
    # A total order: a tie on next_attempt_at goes by id, so the batch is the same each time.
    return sa_select(merged.c.id).order_by(merged.c.next_attempt_at, merged.c.id).limit(batch)


def claim_statement(
    now: datetime, *, batch: int, lease_until: datetime, postgres: bool
) -> ReturningUpdate[int, str]:
    """Mark the first `batch` claimable rows `sending` until `lease_until`: (id, kind) of each."""
    table = OutboxMessage
    candidates = claim_candidates(now, batch=batch, postgres=postgres)
    return (
        update(table)
        .where(col(table.id).in_(candidates.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING,
            lease_until=lease_until,
            attempts=col(table.attempts) + 1,
        )
        .returning(col(table.id), col(table.kind))
    )
