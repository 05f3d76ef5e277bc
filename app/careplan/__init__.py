"""Pure care-plan computation: protocol + treatments + preferences -> occurrences."""

from app.careplan.plan import compute_plan
from app.careplan.schedules import treatment_number_of
from app.careplan.types import OccurrenceKind, PlannedOccurrence, Preferences, TreatmentSession

__all__ = [
    "OccurrenceKind",
    "PlannedOccurrence",
    "Preferences",
    "TreatmentSession",
    "compute_plan",
    "treatment_number_of",
]
