"""The `aftercare` command: demo, staff create, plan, migrate; one-line errors, non-zero exits."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app import demo as demo_module
from app.cli import UVICORN_OPTIONS, main
from app.clock import FixedClock
from app.protocols.loader import available_versions
from app.shared.secret_box import KEY_BYTES, SecretKeyMissing, read_key
from app.staff.totp_secrets import load_or_create_key
from tests.support.api import new_patient_body, turn_on_totp
from tests.support.database import empty_all_tables
from tests.support.factories import STAFF_PASSWORD
from tests.support.hashing import PRODUCTION_PASSWORD_HASHING_ENV

ROOT = Path(__file__).resolve().parents[1]

Invoke = Callable[..., Result]


PATIENT_ID = re.compile(r" plan ([0-9a-f-]{36})")


@pytest.fixture
def run(database_url: str, engine: Engine, tmp_path: Path) -> Invoke:
    """Run the command against the test database (the `engine` fixture empties it afterwards)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, **env: str | None) -> Result:
        return runner.invoke(
            main,
            list(args),
            input=input,
            env={
                "AFTERCARE_DATABASE_URL": database_url,
                "AFTERCARE_PUBLIC_URL": "http://testserver",
                "AFTERCARE_DEMO_PASSWORD_FILE": str(tmp_path / "demo-password"),
                **env,
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
    again = run("demo")  # re-runnable: the same login and patient, a new link
    assert again.exit_code == 0, again.output
    patient_id = PATIENT_ID.search(result.output)
    assert patient_id and patient_id.group(1) in again.output
    assert f"password: {password.group(1)}" in again.output
    assert client.post("/api/auth/login", json=login).status_code == 200
    new_link = re.search(r"/enrol#(\S+)", again.output)
    assert new_link and new_link.group(1) != link.group(2)


@pytest.mark.parametrize(("roles", "told"), [(None, True), ("", False)])
def test_demo_tells_an_admin_to_have_an_authenticator_ready(
    run: Invoke, roles: str | None, told: bool
) -> None:
    result = run("demo", AFTERCARE_TOTP_REQUIRED_ROLES=roles)  # None: as deployed (admins)
    assert result.exit_code == 0, result.output
    assert ("set up two-step sign-in at the first sign-in" in result.output) == told


def test_plan_prints_the_rules_in_local_time(run: Invoke) -> None:
    demo = run("demo")
    patient_id = PATIENT_ID.search(demo.output)
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
    patient_id = PATIENT_ID.search(demo.output)
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
    assert "has one already" in one_line_error(run(*args, "--password", "another long password"))


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


def test_reset_password_prints_a_link_that_works_once_and_can_clear_the_code(
    run: Invoke, client: TestClient, phone: TestClient, clock: FixedClock
) -> None:
    """The last admin locked out (forgotten password, lost phone): the command line lets her in."""
    password = STAFF_PASSWORD
    assert run("staff", "create", "--clinic", "Hill Clinic", "--email", "boss@hill.example",
               "--password", password).exit_code == 0  # fmt: skip
    login = {"email": "boss@hill.example", "password": password}
    client.post("/api/auth/login", json=login)
    turn_on_totp(client, now=clock.now())

    result = run("staff", "reset-password", "--email", " Boss@Hill.example ", "--two-step")
    assert result.exit_code == 0, result.output
    link = re.search(r"http://testserver/console/#/set-password\?token=(\S+)", result.output)
    assert link, result.output
    assert "Two-step sign-in is off" in result.output
    assert client.get("/api/auth/me").status_code == 401  # her sessions ended
    body = {"token": link.group(1), "new_password": "the new long enough password"}
    assert phone.post("/api/auth/password-reset", json=body).status_code == 204
    signed_in = phone.post("/api/auth/login", json=login | {"password": body["new_password"]})
    assert signed_in.json()["second_factor_required"] is False
    assert phone.post("/api/auth/password-reset", json=body).status_code == 410


def test_reset_password_of_nobody_is_one_line(run: Invoke) -> None:
    assert "no staff account has the e-mail address" in one_line_error(
        run("staff", "reset-password", "--email", "nobody@hill.example")
    )


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
    assert (
        runner.invoke(main, [*create, "--password", "riverside backup drill"], env=env).exit_code
        == 0
    )
    backed_up = runner.invoke(main, ["backup", str(tmp_path / "copy.db")], env=env)
    assert backed_up.exit_code == 0, backed_up.output
    assert "schema" in backed_up.output
    again = runner.invoke(main, ["backup", str(tmp_path / "copy.db")], env=env)
    assert "exists" in one_line_error(again)

    unconfirmed = runner.invoke(main, ["restore", str(tmp_path / "copy.db")], env=env, input="n\n")
    assert unconfirmed.exit_code != 0
    restored = runner.invoke(main, ["restore", "--yes", str(tmp_path / "copy.db")], env=env)
    assert restored.exit_code == 0, restored.output
    duplicate = runner.invoke(main, [*create, "--password", "riverside backup drill"], env=env)
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


def test_the_demo_password_is_kept_private_and_survives_a_new_database(
    run: Invoke, engine: Engine, tmp_path: Path
) -> None:
    first = run("demo")
    assert first.exit_code == 0, first.output
    kept = tmp_path / "demo-password"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert f"password: {kept.read_text().strip()}" in first.output
    assert f"kept in {kept}" in first.output
    empty_all_tables(engine)  # as after `rm var/aftercare.db`: the file outlives the data
    again = run("demo")
    assert again.exit_code == 0, again.output
    assert f"password: {kept.read_text().strip()}" in again.output


def test_an_unusable_kept_password_is_one_line(run: Invoke, tmp_path: Path) -> None:
    (tmp_path / "demo-password").write_text("short\n")
    message = one_line_error(run("demo"))
    assert "demo-password: password must be at least 12 characters" in message
    assert "delete the file" in message
    (tmp_path / "demo-password").unlink()
    (tmp_path / "demo-password").mkdir()  # unreadable as a file
    assert "cannot read the demo password" in one_line_error(run("demo"))


def test_a_password_that_cannot_be_kept_is_one_line(
    run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, content: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(demo_module, "write_private_file", refuse)
    message = one_line_error(run("demo"))
    assert "cannot keep the demo password there (Permission denied)" in message


def test_a_public_url_without_a_scheme_is_one_line(run: Invoke) -> None:
    result = run("demo", AFTERCARE_PUBLIC_URL="192.168.1.20:8000")
    assert "is not a web address" in one_line_error(result)


def test_the_demo_port_moves_every_link_unless_a_public_url_is_set(run: Invoke) -> None:
    local = run("demo", "--port", "8011", AFTERCARE_PUBLIC_URL=None)
    assert local.exit_code == 0, local.output
    links = re.findall(r"https?://\S+", local.output)
    assert len(links) == 3 and all(link.startswith("http://127.0.0.1:8011/") for link in links)
    public = run("demo", "--port", "8011", AFTERCARE_PUBLIC_URL="http://192.168.1.20:8000/")
    links = re.findall(r"https?://\S+", public.output)
    assert len(links) == 3 and all(link.startswith("http://192.168.1.20:8000/") for link in links)


def test_every_line_the_demo_prints_works_when_pasted(
    database_url: str, engine: Engine, tmp_path: Path, client: TestClient, phone: TestClient
) -> None:
    installed = Path(sys.executable).parent / "aftercare"
    assert installed.exists(), f"{installed}: install the project (make install) first"
    # As `make run` calls it: .venv/bin/aftercare, a path relative to where it runs.
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "aftercare").symlink_to(installed)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")},
        "AFTERCARE_DATABASE_URL": database_url,
        "AFTERCARE_DEMO_PASSWORD_FILE": str(tmp_path / "var" / "demo-password"),
        "PYTHONPATH": str(ROOT),  # this checkout's app/, whichever one the venv was made for
    }

    def shell(command: str) -> subprocess.CompletedProcess[str]:
        """Run `command` as a person pasting it into a shell would."""
        return subprocess.run(  # noqa: S602 - the shell is what this test is about
            command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )

    demo = shell(".venv/bin/aftercare demo --port 8011")
    assert demo.returncode == 0, demo.stderr
    assert demo.stderr == ""  # no warnings of its own at set-up
    values = dict(re.findall(r"^  (\w[\w ]+):\s+(.+)$", demo.stdout, re.MULTILINE))
    assert set(values) == {
        "Admin login", "Clinic console", "Enrolment link", "Demo patient", "API docs",
    }  # fmt: skip
    assert "kept in var/demo-password" in demo.stdout

    command = values["Demo patient"]
    assert command.startswith(".venv/bin/aftercare plan ")
    plan = shell(command)
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.startswith("Plan for Demo Patient")

    login = re.fullmatch(r"(\S+)\s+password: (\S+)", values["Admin login"])
    assert login
    email, password = login.groups()
    assert client.post("/api/auth/login", json={"email": email, "password": password}).is_success
    for label in ("Clinic console", "API docs"):
        url = urlsplit(values[label])
        assert (url.scheme, url.netloc) == ("http", "127.0.0.1:8011"), label
        assert client.get(url.path).status_code == 200, label
    link = urlsplit(values["Enrolment link"])
    assert (link.netloc, link.path) == ("127.0.0.1:8011", "/enrol")
    assert phone.get(link.path).status_code == 200
    assert phone.post("/api/enrol", json={"code": link.fragment}).status_code == 200


def serve_without_starting(
    run: Invoke, monkeypatch: pytest.MonkeyPatch, *args: str, **env: str | None
) -> tuple[Result, dict[str, Any], int]:
    """`aftercare serve` on a free port, up to uvicorn.run: its output, uvicorn's arguments."""
    import uvicorn

    with socket.socket() as free:  # a port nothing listens on, as 8011 would be
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    result = run("serve", "--port", str(port), *args, AFTERCARE_DISPATCHER_ENABLED="false", **env)
    assert result.exit_code == 0, result.output
    return result, served, port


def test_serve_on_another_port_moves_the_links_with_it(
    run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, served, port = serve_without_starting(
        run, monkeypatch, "--host", "localhost",
        AFTERCARE_PUBLIC_URL=None, AFTERCARE_VAPID_PRIVATE_KEY_FILE=str(tmp_path / "vapid.pem"),
    )  # fmt: skip
    assert (served["host"], served["port"]) == ("localhost", port)
    assert served["app"].state.settings.public_url == f"http://127.0.0.1:{port}"
    assert f"open http://127.0.0.1:{port}/console/" in result.output


def test_serve_on_a_taken_port_says_so_before_starting(run: Invoke) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = one_line_error(run("serve", "--port", str(port)))
    assert f"port {port} is already in use" in message
    assert "make run PORT=8011" in message


def test_serve_on_an_unknown_host_is_one_line(run: Invoke) -> None:
    assert "cannot listen on 'nowhere.invalid'" in one_line_error(
        run("serve", "--host", "nowhere.invalid")
    )


def test_serve_leaves_forwarded_headers_to_the_app_and_names_no_server(
    run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Uvicorn's proxy handling trusts 127.0.0.1 and believes its X-Forwarded-For as sent;
    # the app reads it for AFTERCARE_TRUSTED_PROXIES only (served for real in
    # tests/security/test_security_client_address.py, with these same options).
    _, served, _ = serve_without_starting(
        run, monkeypatch,
        AFTERCARE_VAPID_PRIVATE_KEY_FILE=str(tmp_path / "vapid.pem"),
        AFTERCARE_TRUSTED_PROXIES="10.0.0.5",
    )  # fmt: skip
    assert served["proxy_headers"] is False
    assert served["server_header"] is False
    assert [str(n) for n in served["app"].state.settings.trusted_proxies] == ["10.0.0.5/32"]


def test_serve_names_an_http_parser_and_event_loop_that_load_here() -> None:
    # By name, not "auto": uvicorn imports them at start, so a missing one fails there rather
    # than quietly costing CPU on every request (bench/request_cost.py --http).
    from uvicorn.config import HTTP_PROTOCOLS, LOOP_FACTORIES
    from uvicorn.importer import import_from_string

    protocol = import_from_string(HTTP_PROTOCOLS[UVICORN_OPTIONS["http"]])
    assert protocol.__name__ == "HttpToolsProtocol"
    loop = import_from_string(LOOP_FACTORIES[UVICORN_OPTIONS["loop"]])()()
    try:
        if sys.platform != "win32":  # pyproject.toml installs uvloop everywhere else
            assert UVICORN_OPTIONS["loop"] == "uvloop"
            assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()


def test_totp_key_generate_writes_once_and_prints_the_setting(tmp_path: Path) -> None:
    out = tmp_path / "keys" / "totp-key"
    first = CliRunner().invoke(main, ["totp-key", "generate", "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert f"AFTERCARE_TOTP_KEY_FILE={out}" in first.output
    assert out.stat().st_mode & 0o777 == 0o600
    assert len(read_key(out)) == KEY_BYTES
    before = out.read_bytes()
    again = CliRunner().invoke(main, ["totp-key", "generate", "--out", str(out)])
    assert "already exists" in one_line_error(again)
    assert out.read_bytes() == before  # seeds sealed with it must still open


def test_a_missing_totp_key_in_production_names_the_command_that_makes_one(
    tmp_path: Path,
) -> None:
    with pytest.raises(SecretKeyMissing, match="aftercare totp-key generate"):
        load_or_create_key(tmp_path / "missing", create=False)
    assert not (tmp_path / "missing").exists()
