"""Symptom reports, triage and clinic alerts."""
