"""Enrolment: one-time links and their QR codes, redeeming them, the device sessions they start."""
