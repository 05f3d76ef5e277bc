"""The reports domain's periodic jobs, for app/scheduler.py to register: alert escalation."""

from __future__ import annotations

from app.jobs import PeriodicJob
from app.reports.escalation import escalate_due

# Every dispatch tick, before the outbox is claimed: an escalation queued now is sent in the
# same tick, and escalate_due lets only one of many dispatchers escalate a given alert.
ESCALATION = PeriodicJob(name="alert escalation", run=escalate_due)

JOBS = (ESCALATION,)
