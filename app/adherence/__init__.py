"""Adherence: how many of the planned tasks patients ticked off, per task type and per day."""
