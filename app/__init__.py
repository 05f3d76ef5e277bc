"""Aftercare: personal aftercare plans and Web Push reminders for vein clinics."""
