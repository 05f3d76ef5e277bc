"""Settings from AFTERCARE_* environment variables and .env: the only reader of the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.gateway_urls import SmsGateway, SmtpServer

DEFAULT_SQLITE_URL = "sqlite:///./var/aftercare.db"
DEFAULT_PORT = 8000
EXAMPLE_VAPID_SUBJECT = "mailto:aftercare-admin@example.org"
# OWASP's least argon2id cost for passwords (19 MiB, 2 passes); production refuses less.
PRODUCTION_MIN_HASH_MEMORY_KIB = 19 * 1024
PRODUCTION_MIN_HASH_TIME_COST = 2
# The staff roles, named here because settings sit below the staff package (a test keeps
# this equal to app.staff.models.StaffRole).
StaffRoleName = Literal["admin", "clinician"]


def local_url(port: int) -> str:
    """This machine's address on `port`: loopback, which browsers treat as a secure origin."""
    return f"http://127.0.0.1:{port}"


class Settings(BaseSettings):
    """Deployment settings; every field maps to AFTERCARE_<FIELD_NAME>."""

    model_config = SettingsConfigDict(env_prefix="AFTERCARE_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_SQLITE_URL
    # Where patients and staff reach the service; enrolment links are built from it. Unset,
    # `serve` and `demo` use the local address on their --port (see on_port).
    public_url: str = local_url(DEFAULT_PORT)
    protocol: str = "microsclerotherapy"
    # The version new patients enrol on; unset: the newest shipped. A clinic holds this at the
    # version its clinicians have reviewed (enrolled patients keep theirs either way).
    protocol_version: int | None = Field(default=None, ge=1)

    enrolment_link_days: int = Field(default=14, ge=1, le=90)
    # A patient's phone stays signed in for the whole 8-week plan and a margin after it.
    device_session_days: int = Field(default=120, ge=1, le=365)
    staff_session_idle_minutes: int = Field(default=30, ge=5, le=24 * 60)
    staff_session_absolute_hours: int = Field(default=12, ge=1, le=72)
    # A set-password link an admin issues (or `aftercare staff reset-password`) works once,
    # for this long: long enough to reach a colleague on the next shift.
    password_reset_hours: int = Field(default=24, ge=1, le=7 * 24)
    # Treatments recorded further ahead than this are almost always typos.
    treatment_future_tolerance_minutes: int = Field(default=60, ge=0, le=24 * 60)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Offer the pseudo-locales qps-ploc and qps-plocm (app/i18n): for tests and translators,
    # never for patients.
    pseudo_locales: bool = False

    # Web Push. The private key is a PEM file (`aftercare vapid generate` writes one); in
    # development it is generated on first start and kept, so restarts keep subscriptions.
    vapid_private_key_file: Path = Path("var/vapid-private.pem")
    # `aftercare demo` makes the demo login's password once and keeps it here, so every run
    # prints the same one.
    demo_password_file: Path = Path("var/demo-password")
    # --- audit and erasure ---
    # Staff TOTP seeds are stored encrypted (AES-SIV) under the key in this file: base64 of
    # 64 random bytes (`openssl rand -base64 64`), owner-only. Development makes it on first
    # start; production refuses to start without it. Losing it turns every second factor off
    # in effect (staff set theirs up again): back it up, apart from the database backups.
    # Unset: `totp-key` beside the VAPID key (see `totp_key_path`).
    totp_key_file: Path | None = None
    # Push services contact this address about abuse: a real mailto: or https URL.
    vapid_subject: str = EXAMPLE_VAPID_SUBJECT
    # Run the dispatcher in this process (`aftercare serve`); off in web-only processes.
    dispatcher_enabled: bool = True
    dispatch_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    # Measured in bench/push_throughput.py: 500 rows and 256 connections drain a burst of
    # 10,000 against a push service 30 ms away at ~1,700/s; 200 and 64 managed ~1,000/s.
    dispatch_batch_size: int = Field(default=500, ge=1, le=5000)
    dispatch_concurrency: int = Field(default=256, ge=1, le=1000)
    push_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # A claimed row whose dispatcher died is claimed again after this lease.
    dispatch_lease_seconds: int = Field(default=60, ge=5, le=3600)
    push_max_attempts: int = Field(default=8, ge=1, le=50)
    max_push_devices: int = Field(default=5, ge=1, le=50)

    # --- outbound push requests ---
    # Push endpoints on private, loopback or link-local addresses (unset: allowed only in
    # development, where the test receivers and a developer's push service are on loopback).
    # Production refuses true: name a self-hosted push service in push_private_hosts instead.
    push_allow_private_addresses: bool | None = None
    # Self-hosted push services on the clinic's own network, comma-separated host names: these
    # alone may resolve to private addresses (e.g. "push.clinic.internal").
    push_private_hosts: str = ""

    # --- dispatch pipeline: outcomes recorded as sends complete ---
    # Outcomes wait at most this long, or until this many wait, before they are written (one
    # short transaction): what a dispatcher killed mid-burst sends again is the rows in flight
    # plus at most these. Every 50 ms or 100 outcomes costs no measurable throughput
    # (bench/push_throughput.py); see docs/scaling.md.
    dispatch_record_seconds: float = Field(default=0.05, gt=0, le=5)
    dispatch_record_chunk: int = Field(default=100, ge=1, le=5000)

    # Failed attempts allowed per window (counted in the database, shared by every instance).
    rate_limit_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_failures_per_ip: int = Field(default=20, ge=1, le=10000)
    totp_failures_per_account: int = Field(default=5, ge=1, le=1000)
    enrol_failures_per_ip: int = Field(default=20, ge=1, le=10000)

    # --- login limits (docs/security/login.md) ---
    # Wrong passwords for one account from one client address that cost nothing; each further
    # one makes that pair (only) wait 30 s, doubling per failure up to login_delay_max_minutes.
    # Never a lock on the account: another address is never refused for these failures.
    login_failures_per_account_client: int = Field(default=5, ge=1, le=1000)
    login_delay_max_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # How long a pair's failures are remembered (a success from that address forgets them).
    login_failure_memory_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Password checks (argon2id, ~64 MiB and ~100 ms each) running at once in this process;
    # more wait a moment, then get 503 `busy`. Unset: two per CPU, counting the threads
    # (lanes, password_hash_parallelism) each check runs on: 2 CPUs, 4 lanes: 1 check.
    password_checks_in_flight: int | None = Field(default=None, ge=1, le=1024)
    # Staff roles that must sign in with a second factor (TOTP), comma-separated: "admin",
    # "admin,clinician", or "" for none. Someone in such a role without one is signed in only
    # to set it up (docs/security/login.md, "Required second factor").
    totp_required_roles: Annotated[frozenset[StaffRoleName], NoDecode] = frozenset({"admin"})

    # --- reminders by e-mail and SMS (docs/careplan.md, "Other channels") ---
    # Outgoing mail: smtp://user:password@host:587 (STARTTLS, required unless the host is
    # loopback) or smtps://user:password@host:465. Unset: no e-mail is sent.
    smtp_url: SecretStr | None = None
    # The From of every e-mail, e.g. "Riverside Vein Clinic <reminders@clinic.example>".
    mail_from: str = ""
    # The SMS gateway: twilio://ACCOUNT_SID:AUTH_TOKEN@+FROM_NUMBER (any Twilio-compatible
    # API with ?api=https://...) or webhook+https://[TOKEN@]host/path. Unset: no SMS is sent.
    sms_url: SecretStr | None = None

    # --- edge: the client's address behind a proxy, /metrics ---
    # The reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For
    # and X-Forwarded-Proto are believed. Empty: nobody's; the peer address is the client.
    # Behind a proxy that is not listed, every client shares the proxy's address, and so its
    # rate limits (see README, "Behind a reverse proxy").
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()
    # In production /metrics answers only `Authorization: Bearer <this>`; unset, it is off
    # (404). In development it is open.
    metrics_token: SecretStr | None = None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        # strict=False: 10.0.0.1/8 means the range 10.0.0.0/8, as a person writing it means.
        return tuple(ip_network(str(item).strip(), strict=False) for item in value)

    @field_validator("totp_required_roles", mode="before")
    @classmethod
    def _comma_separated_roles(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _long_random_token(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None or str(value).strip() == "":
            return None  # compose passes an unset variable through as ""
        if len(str(value)) < 16:
            raise ValueError("must be at least 16 characters (a long random string)")
        return value

    @field_validator("smtp_url", "sms_url", mode="before")
    @classmethod
    def _empty_url_is_unset(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None or str(value).strip() == "":
            return None  # compose passes an unset variable through as ""
        return str(value).strip()

    @model_validator(mode="after")
    def _mail_needs_a_sender(self) -> Settings:
        if self.smtp_url is not None:
            SmtpServer.from_url(self.smtp_url.get_secret_value())
            if "@" not in self.mail_from:
                raise ValueError(
                    "AFTERCARE_MAIL_FROM must be an address, e.g. "
                    '"Riverside Vein Clinic <reminders@clinic.example>", when '
                    "AFTERCARE_SMTP_URL is set"
                )
        if self.sms_url is not None:
            SmsGateway.from_url(self.sms_url.get_secret_value())
        return self

    # --- small hardening: staff accounts ---
    # Addresses an admin may try that already have an account, per window: a typo or two,
    # never a sweep through a list of addresses to learn who works with other clinics.
    staff_create_taken_per_admin: int = Field(default=5, ge=1, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _empty_public_url_is_unset(cls, data: Any) -> Any:
        # `make run` passes PUBLIC_URL through even when nobody set it: empty means "not set".
        if isinstance(data, dict) and str(data.get("public_url", "x")).strip() == "":
            return {key: value for key, value in data.items() if key != "public_url"}
        return data

    # Staff passwords: argon2id with argon2-cffi's defaults (RFC 9106's second choice, 64 MiB,
    # 3 passes, 4 lanes). Each hash stores its own parameters, so changing these keeps old
    # hashes verifying; they are re-hashed at the next sign-in. Production refuses less than
    # OWASP's floor (19 MiB, 2 passes); the test suite runs on the cheapest valid setting.
    password_hash_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    password_hash_time_cost: int = Field(default=3, ge=1, le=100)
    password_hash_parallelism: int = Field(default=4, ge=1, le=64)

    @field_validator("vapid_subject")
    @classmethod
    def _real_contact(cls, value: str) -> str:
        if not (value.startswith("mailto:") or value.startswith("https://")):
            raise ValueError("must be a mailto: address or an https:// URL")
        return value

    @model_validator(mode="after")
    def _production_needs_real_values(self) -> Settings:
        if self.env == "production":
            if self.vapid_subject == EXAMPLE_VAPID_SUBJECT:
                raise ValueError(
                    "AFTERCARE_VAPID_SUBJECT is still the example value: set your clinic's "
                    "contact (mailto: or https://)"
                )
            if self.push_allow_private_addresses:
                raise ValueError(
                    "AFTERCARE_PUSH_ALLOW_PRIVATE_ADDRESSES must not be true in production: name "
                    "a self-hosted push service in AFTERCARE_PUSH_PRIVATE_HOSTS instead"
                )
            if not self.public_url.startswith("https://"):
                raise ValueError("AFTERCARE_PUBLIC_URL must be https:// in production")
            if (
                self.password_hash_memory_kib < PRODUCTION_MIN_HASH_MEMORY_KIB
                or self.password_hash_time_cost < PRODUCTION_MIN_HASH_TIME_COST
            ):
                raise ValueError(
                    "AFTERCARE_PASSWORD_HASH_MEMORY_KIB and AFTERCARE_PASSWORD_HASH_TIME_COST are "
                    f"below the production floor ({PRODUCTION_MIN_HASH_MEMORY_KIB} KiB, "
                    f"{PRODUCTION_MIN_HASH_TIME_COST} passes): cheap hashing is for tests only"
                )
        return self

    @model_validator(mode="after")
    def _argon2_needs_memory_per_lane(self) -> Settings:
        if self.password_hash_memory_kib < 8 * self.password_hash_parallelism:
            raise ValueError(
                "AFTERCARE_PASSWORD_HASH_MEMORY_KIB must be at least 8 per lane "
                f"(8 x AFTERCARE_PASSWORD_HASH_PARALLELISM = {8 * self.password_hash_parallelism})"
            )
        return self

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{value!r} is not a web address: give the scheme and host, "
                "e.g. http://192.168.1.20:8000"
            )
        return value.rstrip("/")

    def on_port(self, port: int) -> Settings:
        """These settings for a process listening on `port`.

        Without an AFTERCARE_PUBLIC_URL (or .env entry) links point at this machine on that
        port, so one --port moves the server and every printed link together.
        """
        if "public_url" in self.model_fields_set:
            return self
        return self.model_validate({**self.model_dump(), "public_url": local_url(port)})

    @cached_property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def push_private_addresses_allowed(self) -> bool:
        if self.push_allow_private_addresses is None:
            return self.env == "development"
        return self.push_allow_private_addresses

    @property
    def push_private_host_names(self) -> frozenset[str]:
        names = (name.strip().rstrip(".").lower() for name in self.push_private_hosts.split(","))
        return frozenset(name for name in names if name)

    @property
    def enrolment_link_lifetime(self) -> timedelta:
        return timedelta(days=self.enrolment_link_days)

    @property
    def password_reset_lifetime(self) -> timedelta:
        return timedelta(hours=self.password_reset_hours)

    @property
    def device_session_lifetime(self) -> timedelta:
        return timedelta(days=self.device_session_days)

    @property
    def staff_session_idle(self) -> timedelta:
        return timedelta(minutes=self.staff_session_idle_minutes)

    @property
    def staff_session_absolute(self) -> timedelta:
        return timedelta(hours=self.staff_session_absolute_hours)

    @property
    def treatment_future_tolerance(self) -> timedelta:
        return timedelta(minutes=self.treatment_future_tolerance_minutes)

    @property
    def rate_limit_window(self) -> timedelta:
        return timedelta(minutes=self.rate_limit_window_minutes)

    @property
    def login_delay_max(self) -> timedelta:
        return timedelta(minutes=self.login_delay_max_minutes)

    @property
    def login_failure_memory(self) -> timedelta:
        return timedelta(hours=self.login_failure_memory_hours)

    @property
    def password_check_slots(self) -> int:
        # A check runs on `parallelism` threads: more checks than CPUs can run only starve
        # every other request of CPU (measured in bench/login_contention.py).
        lanes = self.password_hash_parallelism
        return self.password_checks_in_flight or max(1, 2 * (os.cpu_count() or 1) // lanes)

    @property
    def letter_channels(self) -> frozenset[str]:
        """The channels besides push this server can send: those whose URL is set."""
        return frozenset(
            name
            for name, url in (("email", self.smtp_url), ("sms", self.sms_url))
            if url is not None
        )

    # --- audit and erasure ---
    @property
    def totp_key_path(self) -> Path:
        """Where the TOTP key is: the setting, else `totp-key` beside the VAPID key (the
        directory that already holds the service's own secrets)."""
        return self.totp_key_file or self.vapid_private_key_file.with_name("totp-key")
