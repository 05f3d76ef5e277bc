"""The SQL statements a phone's commonest requests send: a budget, so one more is noticed.

Each statement through the ORM costs a phone's request more CPU than anything else it does
(bench/request_cost.py --profile); these counts are what docs/scaling.md's figures assume.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.support.sql_statements import statements


def test_a_profile_is_four_selects(me: TestClient, engine: Engine) -> None:
    with statements(engine) as sent:
        assert me.get("/api/me").status_code == 200
    # the phone with its patient; a treatment booked ahead; the clinic; restrictions and visits
    assert [s.split()[0] for s in sent] == ["SELECT"] * 4


def test_a_day_of_tasks_is_two_selects(me: TestClient, engine: Engine) -> None:
    with statements(engine) as sent:
        assert me.get("/api/me/tasks").status_code == 200
    # the phone with its patient; the day's rows
    assert [s.split()[0] for s in sent] == ["SELECT", "SELECT"]
