"""The `aftercare` command: demo, staff create, plan, migrate; one-line errors, non-zero exits."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.cli import main
from app.protocols.loader import available_versions
from tests.support.api import new_patient_body
from tests.support.hashing import PRODUCTION_PASSWORD_HASHING_ENV

Invoke = Callable[..., Result]


@pytest.fixture
def run(database_url: str, engine: Engine) -> Invoke:
    """Run the command against the test database (the `engine` fixture empties it afterwards)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            main,
            list(args),
            input=input,
            env={
                "AFTERCARE_DATABASE_URL": database_url,
                "AFTERCARE_PUBLIC_URL": "http://testserver",
            },
        )

    return invoke


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_demo_prints_a_working_login_and_link(
    run: Invoke, client: TestClient, phone: TestClient
) -> None:
    result = run("demo")
    assert result.exit_code == 0, result.output
    password = re.search(r"password: (\S+)", result.output)
    link = re.search(r"Enrolment link:\s+(http://testserver/enrol#(\S+))", result.output)
    assert password and link
    assert "Admin login:" in result.output
    assert "http://testserver/console/" in result.output
    login = {"email": "demo@aftercare.example", "password": password.group(1)}
    signed_in = client.post("/api/auth/login", json=login)
    assert signed_in.status_code == 200
    assert signed_in.json()["staff"]["role"] == "admin"
    assert client.get("/api/staff").status_code == 200  # the admin pages open
    assert phone.post("/api/enrol", json={"code": link.group(2)}).status_code == 200
    again = run("demo")  # re-runnable: new password, new link, same patient
    assert again.exit_code == 0, again.output
    patient_id = re.search(r"aftercare plan (\S+)", result.output)
    assert patient_id and patient_id.group(1) in again.output


def test_plan_prints_the_rules_in_local_time(run: Invoke) -> None:
    demo = run("demo")
    patient_id = re.search(r"aftercare plan (\S+)", demo.output)
    assert patient_id
    result = run("plan", patient_id.group(1))
    assert result.exit_code == 0, result.output
    assert "Plan for Demo Patient (Europe/London" in result.output
    for title_word in ("legs", "stocking", "aspirin", "Final review"):
        assert title_word.lower() in result.output.lower(), title_word


def test_plan_names_the_pinned_version_and_marks_visits_to_be_booked(
    run: Invoke, engine: Engine
) -> None:
    demo = run("demo")
    patient_id = re.search(r"aftercare plan (\S+)", demo.output)
    assert patient_id
    newest = max(available_versions("microsclerotherapy"))
    result = run("plan", patient_id.group(1))
    assert f"Protocol microsclerotherapy v{newest} (pinned)" in result.output
    visits = [line for line in result.output.splitlines() if " appointment " in line]
    assert visits and all("(to be booked" in line for line in visits)
    with engine.begin() as connection:  # as a patient enrolled before the newest shipped
        connection.execute(text("UPDATE patient SET protocol_version = 1"))
    older = run("plan", patient_id.group(1))
    assert f"Protocol microsclerotherapy v1 (pinned, v{newest} available)" in older.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "not-a-uuid"), "is not a patient id"),
        (("plan", "00000000-0000-0000-0000-000000000000"), "no patient with id"),
        (
            ("staff", "create", "--clinic", "C", "--email", "a@b.example", "--password", "short"),
            "at least 12 characters",
        ),
        (
            ("staff", "create", "--clinic", "C", "--email", "not-an-email", "--password", "x" * 12),
            "email",
        ),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    run: Invoke, args: tuple[str, ...], message: str
) -> None:
    assert message in one_line_error(run(*args))


def test_staff_create_then_duplicate(run: Invoke) -> None:
    args = ("staff", "create", "--clinic", "Hill Clinic", "--email", "Admin@Hill.example")
    first = run(*args, "--password", "a long enough password")
    assert first.exit_code == 0, first.output
    assert "created admin admin@hill.example in clinic 'Hill Clinic'" in first.output
    assert "already exists" in one_line_error(run(*args, "--password", "another long password"))


def test_staff_create_joins_an_existing_clinic_with_role_and_name(
    run: Invoke, client: TestClient
) -> None:
    password = "a long enough password"
    base = ("staff", "create", "--password", password, "--clinic")
    assert run(*base, "Hill Clinic", "--email", "boss@hill.example").exit_code == 0
    second = run(
        *base, " Hill Clinic ", "--email", "nurse@hill.example", "--name", "Nina Nurse",
        "--role", "clinician",
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    assert "created clinician nurse@hill.example in clinic 'Hill Clinic'" in second.output
    login = client.post(
        "/api/auth/login", json={"email": "nurse@hill.example", "password": password}
    )
    me = login.json()["staff"]
    assert (me["name"], me["role"], me["clinic_name"]) == ("Nina Nurse", "clinician", "Hill Clinic")
    client.post("/api/auth/login", json={"email": "boss@hill.example", "password": password})
    assert len(client.get("/api/staff").json()) == 2  # one clinic, both accounts


def test_a_refused_account_leaves_no_clinic_behind(run: Invoke, engine: Engine) -> None:
    refused = run(
        "staff", "create", "--clinic", "Ghost Clinic", "--email", "nope", "--password", "x" * 12
    )
    assert "email" in one_line_error(refused)
    short = run("staff", "create", "--clinic", "Ghost Clinic", "--email", "a@b.example",
                "--password", "short")  # fmt: skip
    assert "at least 12 characters" in one_line_error(short)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM clinic")).scalar() == 0


@pytest.mark.parametrize("role", ["owner", "ADMIN"])
def test_an_unknown_role_is_refused(run: Invoke, role: str) -> None:
    result = run("staff", "create", "--clinic", "C", "--email", "a@b.example", "--role", role,
                 "--password", "x" * 12)  # fmt: skip
    assert result.exit_code != 0
    assert "role" in result.output.lower()


def test_password_is_prompted_when_omitted(run: Invoke) -> None:
    result = run(
        "staff", "create", "--clinic", "Hill", "--email", "p@hill.example",
        input="a long enough password\na long enough password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_migrate_is_idempotent(run: Invoke) -> None:
    assert run("migrate").output.strip() == "database is up to date"
    assert run("migrate").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("serve",),
        ("demo",),
        ("migrate",),
        ("staff", "create"),
        ("plan",),
        ("worker",),
        ("vapid", "generate"),
        ("backup",),
        ("restore",),
    ],
)
def test_every_command_has_help(args: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_unreachable_database_is_one_line() -> None:
    result = CliRunner().invoke(
        main,
        ["migrate"],
        env={"AFTERCARE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"},
    )
    assert "database unavailable" in one_line_error(result)


def test_vapid_generate_writes_once_and_prints_the_setting(tmp_path: Path) -> None:
    out = tmp_path / "keys" / "vapid.pem"
    first = CliRunner().invoke(main, ["vapid", "generate", "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert f"AFTERCARE_VAPID_PRIVATE_KEY_FILE={out}" in first.output
    assert out.stat().st_mode & 0o777 == 0o600
    before = out.read_bytes()
    again = CliRunner().invoke(main, ["vapid", "generate", "--out", str(out)])
    assert "already exists" in one_line_error(again)
    assert out.read_bytes() == before


def test_production_worker_without_a_key_refuses_to_start(
    tmp_path: Path, database_url: str
) -> None:
    result = CliRunner().invoke(
        main,
        ["worker"],
        env={
            "AFTERCARE_ENV": "production",
            "AFTERCARE_DATABASE_URL": database_url,
            "AFTERCARE_PUBLIC_URL": "https://care.example.org",
            "AFTERCARE_VAPID_SUBJECT": "mailto:ops@care.example.org",
            "AFTERCARE_VAPID_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem"),
            **PRODUCTION_PASSWORD_HASHING_ENV,
        },
    )
    assert "aftercare vapid generate" in one_line_error(result)
    assert not (tmp_path / "missing.pem").exists()


def test_production_refuses_the_example_contact(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["worker"],
        env={"AFTERCARE_ENV": "production", "AFTERCARE_PUBLIC_URL": "https://care.example.org"},
    )
    assert "AFTERCARE_VAPID_SUBJECT" in one_line_error(result)


def test_backup_then_restore_on_a_sqlite_file(tmp_path: Path) -> None:
    env = {"AFTERCARE_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}"}
    runner = CliRunner()
    create = ["staff", "create", "--clinic", "Riverside", "--email", "a@riverside.example"]
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    assert runner.invoke(main, [*create, "--password", "x" * 12], env=env).exit_code == 0
    backed_up = runner.invoke(main, ["backup", str(tmp_path / "copy.db")], env=env)
    assert backed_up.exit_code == 0, backed_up.output
    assert "schema" in backed_up.output
    again = runner.invoke(main, ["backup", str(tmp_path / "copy.db")], env=env)
    assert "exists" in one_line_error(again)

    unconfirmed = runner.invoke(main, ["restore", str(tmp_path / "copy.db")], env=env, input="n\n")
    assert unconfirmed.exit_code != 0
    restored = runner.invoke(main, ["restore", "--yes", str(tmp_path / "copy.db")], env=env)
    assert restored.exit_code == 0, restored.output
    duplicate = runner.invoke(main, [*create, "--password", "x" * 12], env=env)
    assert "already" in one_line_error(duplicate).lower()


def test_backup_of_postgresql_names_pg_dump(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["backup", str(tmp_path / "x.db")],
        env={"AFTERCARE_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/aftercare"},
    )
    assert "pg_dump" in one_line_error(result)


def test_staff_create_sets_the_clinics_numbers_and_then_patients_can_be_enrolled(
    run: Invoke, client: TestClient
) -> None:
    password = "a long enough password"
    base = ("staff", "create", "--password", password, "--clinic", "Hill Clinic")
    bare = run(*base, "--email", "boss@hill.example")
    assert bare.exit_code == 0, bare.output
    assert "patients cannot be enrolled until the clinic has a phone" in bare.output
    client.post("/api/auth/login", json={"email": "boss@hill.example", "password": password})
    refused = client.post("/api/patients", json=new_patient_body())
    assert (refused.status_code, refused.json()["code"]) == (409, "clinic_phone_missing")
    numbers = run(
        *base, "--email", "nurse@hill.example", "--phone", "+44 20 7946 0100",
        "--out-of-hours-phone", "111", "--out-of-hours-name", "NHS 111",
    )  # fmt: skip
    assert numbers.exit_code == 0, numbers.output
    assert "cannot be enrolled" not in numbers.output
    settings = client.get("/api/clinic").json()
    assert (settings["phone"], settings["out_of_hours_phone"], settings["out_of_hours_name"]) == (
        "+44 20 7946 0100",
        "111",
        "NHS 111",
    )
    assert client.post("/api/patients", json=new_patient_body()).status_code == 201


def test_staff_create_refuses_a_bad_out_of_hours_phone(run: Invoke) -> None:
    args = ("staff", "create", "--clinic", "C", "--email", "a@b.example", "--password", "x" * 12)
    assert "out_of_hours_phone" in one_line_error(run(*args, "--out-of-hours-phone", "ring Bob"))


def test_demo_sets_every_number(run: Invoke, client: TestClient) -> None:
    result = run("demo")
    password = re.search(r"password: (\S+)", result.output)
    assert password
    login = {"email": "demo@aftercare.example", "password": password.group(1)}
    assert client.post("/api/auth/login", json=login).status_code == 200
    settings = client.get("/api/clinic").json()
    assert settings["phone"] and settings["out_of_hours_phone"] and settings["out_of_hours_name"]
