"""Staff logins against a patient's reads: GET /api/me latency with and without 9 logins/s.

Run: .venv/bin/python -m bench.login_contention [--database-url URL] [--seconds 15]
     [--logins-per-second 9] [--hash-memory-kib 65536 --hash-time-cost 3 --hash-parallelism 4]
The server runs as `aftercare serve` does (bench.load's running_server: uvicorn, one process)
on a fresh migrated database (a temporary SQLite file by default), with production's argon2id
cost (64 MiB, 3 passes, 4 lanes: the Settings' defaults). One clinic, one staff account and
one paired phone are made through the services. Then, for --seconds each:
  1. idle: the phone asks GET /api/me, one request after another;
  2. logins: the same, while staff sign in (right password) at --logins-per-second, each
     login on its own connection, started on schedule whether the last has answered or not.
It prints the p50 and p90 of GET /api/me in each phase, their ratio, and the logins' answers.
Before the fix a login checked its password (~100 ms) inside a write transaction, which on
SQLite holds the database's one write lock, and every read began BEGIN IMMEDIATE: the
phone's reads queued behind each login's argon2. To measure the old code, run this file from
a checkout of it (bench.load and the services it uses are the same there).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from app.api.cookies import PATIENT_COOKIE
from app.config import Settings
from app.db import make_engine, session_factory, transaction
from app.enrolment.service import create_patient, redeem_enrolment_link
from app.migrate import upgrade_to_head
from app.patients.models import PatientCreate
from app.protocols.loader import load_protocol
from app.staff import passwords
from app.staff.models import StaffRole
from app.staff.service import create_clinic, create_staff
from bench.load import free_port, fresh_database, running_server

PASSWORD = "a bench password, long enough"  # noqa: S105 - a throwaway database's
# Logins go round this many accounts: staff of one clinic signing in, not one account many
# times at once (that, from one address, is what the per-(account, client) limit refuses).
ACCOUNTS = 20


def email(n: int) -> str:
    return f"staff{n % ACCOUNTS}@bench.example"


def seed(database_url: str, hashing: dict[str, int]) -> str:
    """Migrate, make a clinic, its admin and a paired phone; the phone's session token."""
    engine = make_engine(database_url)
    try:
        upgrade_to_head(engine)
        settings = Settings.model_validate({"database_url": database_url, **hashing})
        passwords.configure(settings)  # production's cost, as the server checks it
        factory = session_factory(engine)
        now = datetime.now(UTC)
        with transaction(factory) as session:
            clinic = create_clinic(
                session, name="Bench clinic", now=now, phone="+44 20 7946 0001",
                out_of_hours_phone="+44 20 7946 0999",
            )  # fmt: skip
            for n in range(ACCOUNTS):
                staff = create_staff(
                    session, clinic=clinic, email=email(n), password=PASSWORD, now=now,
                    role=StaffRole.CLINICIAN,
                )  # fmt: skip
            data = PatientCreate.model_validate(
                {
                    "name": "Bench Patient",
                    "time_zone": "Europe/London",
                    "stockings_advised": True,
                    "treatment": {"performed_at": now.isoformat()},
                    "doppler_checked": True,
                }
            )
            _, link = create_patient(
                session, clinic=clinic, data=data, protocol=load_protocol(settings.protocol),
                staff=staff, now=now, settings=settings,
            )  # fmt: skip
        with transaction(factory) as session:
            _, token = redeem_enrolment_link(
                session, code=link.code, label="bench phone", now=now, settings=settings
            )
        return token
    finally:
        engine.dispose()


def read_profile(
    base_url: str, token: str, seconds: float, statuses: Counter[int] | None = None
) -> list[float]:
    """GET /api/me one after another for `seconds`: each one's latency in seconds (its
    status counted in `statuses`: the old code answered some with 500, "database is locked")."""
    spent: list[float] = []
    with httpx.Client(base_url=base_url, cookies={PATIENT_COOKIE: token}, timeout=30) as phone:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = phone.get("/api/me")
            spent.append(time.perf_counter() - started)
            if statuses is not None:
                statuses[response.status_code] += 1
    return spent


def logins(base_url: str, per_second: float, stop: threading.Event) -> Counter[int]:
    """Sign in at `per_second` until `stop`; how many of each status came back."""
    answers: Counter[int] = Counter()
    lock = threading.Lock()

    sent = iter(range(10**9))

    def one() -> None:
        with lock:
            n = next(sent)
        with httpx.Client(base_url=base_url, timeout=30) as browser:
            status = browser.post(
                "/api/auth/login", json={"email": email(n), "password": PASSWORD}
            ).status_code
        with lock:
            answers[status] += 1

    with ThreadPoolExecutor(max_workers=32) as pool:
        next_at = time.monotonic()
        while not stop.is_set():
            pool.submit(one)
            next_at += 1 / per_second
            stop.wait(max(0.0, next_at - time.monotonic()))
    return answers


def summary(spent: list[float]) -> dict[str, Any]:
    ordered = sorted(spent)
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
        "p90_ms": round(ordered[int(len(ordered) * 0.9)] * 1000, 1),
    }


def run(
    database_url: str | None, seconds: float, per_second: float, hashing: dict[str, int]
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="aftercare-login-bench-") as name:
        tmp = Path(name)
        # The server reads .env from its directory (running_server keeps the caller's out).
        (tmp / ".env").write_text(
            "".join(f"AFTERCARE_{key.upper()}={value}\n" for key, value in hashing.items())
        )
        with fresh_database(database_url, tmp) as url:
            token = seed(url, hashing)
            with running_server(url, port=free_port(), tmp=tmp) as server:
                server.wait_until_up()
                read_profile(server.base_url, token, 1)  # warm up
                idle_statuses: Counter[int] = Counter()
                busy_statuses: Counter[int] = Counter()
                idle = read_profile(server.base_url, token, seconds, idle_statuses)
                stop = threading.Event()
                answers: Counter[int] = Counter()

                def drive() -> None:
                    answers.update(logins(server.base_url, per_second, stop))

                driver = threading.Thread(target=drive)
                driver.start()
                time.sleep(1)  # the logins' own warm-up
                try:
                    busy = read_profile(server.base_url, token, seconds, busy_statuses)
                finally:
                    stop.set()
                    driver.join()
    idle_s, busy_s = summary(idle), summary(busy)
    return {
        "database": "postgresql" if database_url else "sqlite",
        "logins_per_second": per_second,
        "argon2": hashing,
        "idle": idle_s | {"statuses": dict(idle_statuses)},
        "with_logins": busy_s | {"statuses": dict(busy_statuses)},
        "p50_ratio": round(busy_s["p50_ms"] / idle_s["p50_ms"], 1),
        "login_answers": {str(status): count for status, count in sorted(answers.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--logins-per-second", type=float, default=9)
    # Production's cost by default; a cheaper one (e.g. OWASP's floor, 19456 KiB, 2, 1) keeps
    # a small machine's CPU out of the measurement, which is about the write lock.
    parser.add_argument("--hash-memory-kib", type=int, default=65536)
    parser.add_argument("--hash-time-cost", type=int, default=3)
    parser.add_argument("--hash-parallelism", type=int, default=4)
    options = parser.parse_args(argv)
    hashing = {
        "password_hash_memory_kib": options.hash_memory_kib,
        "password_hash_time_cost": options.hash_time_cost,
        "password_hash_parallelism": options.hash_parallelism,
    }
    result = run(options.database_url, options.seconds, options.logins_per_second, hashing)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
