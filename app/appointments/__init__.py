"""Clinic visits: booking planned appointments, slots, the visits still to book, the .ics."""
