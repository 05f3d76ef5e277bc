"""Patients, their treatments, enrolment links and device sessions."""
