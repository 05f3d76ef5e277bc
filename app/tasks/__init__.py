"""Stored plan occurrences: syncing with the care plan, completion, listing."""
