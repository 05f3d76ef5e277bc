"""Changes to a patient's care that re-plan: treatments, preferences, protocol version."""
