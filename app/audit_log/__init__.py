"""The audit log as people read it (the recording is app/staff/audit.py)."""
