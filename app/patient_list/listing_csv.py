"""The patient list as CSV: one line per patient, adherence by task type, spreadsheet-safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from app.patient_list.listing import PatientRow
from app.shared.spreadsheet import safe_cell


def _instant(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def task_columns(rows: Sequence[PatientRow], known: Sequence[str]) -> list[str]:
    """The protocol's task types in its order, then any others the rows have (older plans)."""
    seen = {task for row in rows for task in row.adherence.by_task}
    return [*known, *sorted(seen - set(known))]


def patients_csv(rows: Sequence[PatientRow], *, tasks: Sequence[str]) -> str:
    """CSV text with a header line; instants are ISO 8601 in UTC, empty when unknown."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "name",
            "time_zone",
            "first_treatment_at",
            "last_treatment_at",
            "treatments",
            "done",
            "due",
            "percent",
            *(f"{task}_{part}" for task in tasks for part in ("done", "due")),
            "last_active_at",
            "reminders_on",
            "push_devices",
            "open_alerts",
            "next_follow_up_at",
            "doppler_checked",
        ]
    )
    for row in rows:
        adherence = row.adherence
        per_task: list[int] = []
        for task in tasks:
            count = adherence.by_task.get(task)
            per_task += [count.done, count.due] if count else [0, 0]
        writer.writerow(
            [
                safe_cell(row.name),
                safe_cell(row.time_zone),
                _instant(row.first_treatment_at),
                _instant(row.last_treatment_at),
                row.treatment_count,
                adherence.done,
                adherence.due,
                "" if adherence.percent is None else adherence.percent,
                *per_task,
                _instant(row.last_active_at),
                _yes_no(row.reminders_on),
                row.push_devices,
                row.open_alerts,
                _instant(row.next_follow_up_at),
                _yes_no(row.doppler_checked),
            ]
        )
    return out.getvalue()
