"""Clinic settings: opening hours, time zone, alert escalation, the numbers patients call."""
