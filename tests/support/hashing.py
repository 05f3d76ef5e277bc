"""The suite's argon2 cost: the cheapest valid parameters, and the production ones where needed."""

from __future__ import annotations

# argon2's floor (8 KiB, one pass, one lane): a hash takes well under a millisecond instead of
# ~100 ms. Set in the environment, so every Settings the suite makes (and every CLI run it
# starts) hashes cheaply; hashes still verify across parameters, as each records its own.
CHEAP_PASSWORD_HASHING = {
    "AFTERCARE_PASSWORD_HASH_MEMORY_KIB": "8",
    "AFTERCARE_PASSWORD_HASH_TIME_COST": "1",
    "AFTERCARE_PASSWORD_HASH_PARALLELISM": "1",
}

# What a production deployment runs with (Settings' defaults): tests that make production
# Settings pass these, because production refuses the cheap ones.
PRODUCTION_PASSWORD_HASHING = {
    "password_hash_memory_kib": 65536,
    "password_hash_time_cost": 3,
    "password_hash_parallelism": 4,
}
PRODUCTION_PASSWORD_HASHING_ENV = {
    f"AFTERCARE_{name.upper()}": str(value) for name, value in PRODUCTION_PASSWORD_HASHING.items()
}
