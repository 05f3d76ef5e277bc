"""Test support: database fixtures, factories and (later) the fake push service."""
