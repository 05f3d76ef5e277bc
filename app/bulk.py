"""Insert many new rows in one statement without building an ORM object for each.

Enrolment writes ~50 occurrences and ~25 outbox rows per patient; constructing and flushing
them as SQLModel objects was two thirds of its CPU (bench/scaling.py). Rows inserted here are
not in the session's identity map: a caller that needs them again keeps the values it inserted
(a plan sync hands its new occurrences to the outbox in PlanChanges) or queries them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, inspect
from sqlmodel import Session, SQLModel


def insert_new(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT `rows` into `model`'s table, each completed with the model's field defaults.

    A default factory runs once per row (a fresh uuid4 id each); a primary key left to the
    database (default None) is omitted so it autoincrements.
    """
    if not rows:
        return
    keys = {column.key for column in inspect(model).primary_key}
    complete = []
    for row in rows:
        values = dict(row)
        for name, field in model.model_fields.items():
            if name not in values:
                default = field.get_default(call_default_factory=True)
                if not (default is None and name in keys):
                    values[name] = default
        complete.append(values)
    session.execute(insert(model), complete)
