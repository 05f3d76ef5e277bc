"""Imports every table so SQLModel.metadata is complete (for Alembic and the schema test)."""

from app.clinics.models import Clinic
from app.enrolment.models import DeviceSession, EnrolmentLink
from app.notifications.models import DeliveryReceipt, OutboxMessage, PushSubscription
from app.patients.carers import Carer, CarerLink
from app.patients.models import AppointmentBooking, Patient, Treatment
from app.ratelimit.models import RateLimitHit
from app.reports.models import Alert, SymptomReport
from app.staff.models import AuditEvent, StaffSession, StaffUser
from app.tasks.models import Occurrence

__all__ = [
    "Alert",
    "AppointmentBooking",
    "AuditEvent",
    "Carer",
    "CarerLink",
    "Clinic",
    "DeliveryReceipt",
    "DeviceSession",
    "EnrolmentLink",
    "Occurrence",
    "OutboxMessage",
    "Patient",
    "PushSubscription",
    "RateLimitHit",
    "StaffSession",
    "StaffUser",
    "SymptomReport",
    "Treatment",
]
