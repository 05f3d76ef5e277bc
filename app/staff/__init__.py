"""Clinics, staff accounts, staff sessions and the audit log."""
