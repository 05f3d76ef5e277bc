"""Fixtures shared with the other staff patient tests (tests/support/clinic_fixtures.py)."""

from tests.support.clinic_fixtures import hill, ward

__all__ = ["hill", "ward"]
