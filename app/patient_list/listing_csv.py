"""The patient list as CSV: one line per patient, adherence by task type, spreadsheet-safe."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from app.patient_list.listing import PatientRow
from app.shared.spreadsheet import csv_for_excel, local_time_cell


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def task_columns(rows: Sequence[PatientRow], known: Sequence[str]) -> list[str]:
    """The protocol's task types in its order, then any others the rows have (older plans)."""
    seen = {task for row in rows for task in row.adherence.by_task}
    return [*known, *sorted(seen - set(known))]


def patients_csv(rows: Sequence[PatientRow], *, tasks: Sequence[str], zone: ZoneInfo) -> str:
    """CSV for a spreadsheet (app/shared/spreadsheet.py): a header line, times in the clinic's
    zone, empty when unknown."""
    return csv_for_excel(
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
        ],
        (_row(row, tasks, zone) for row in rows),
    )


def _row(row: PatientRow, tasks: Sequence[str], zone: ZoneInfo) -> list[str | int | None]:
    adherence = row.adherence
    per_task: list[int] = []
    for task in tasks:
        count = adherence.by_task.get(task)
        per_task += [count.done, count.due] if count else [0, 0]
    return [
        row.name,
        row.time_zone,
        local_time_cell(row.first_treatment_at, zone),
        local_time_cell(row.last_treatment_at, zone),
        row.treatment_count,
        adherence.done,
        adherence.due,
        "" if adherence.percent is None else adherence.percent,
        *per_task,
        local_time_cell(row.last_active_at, zone),
        _yes_no(row.reminders_on),
        row.push_devices,
        row.open_alerts,
        local_time_cell(row.next_follow_up_at, zone),
        _yes_no(row.doppler_checked),
    ]
