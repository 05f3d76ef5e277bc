"""Settings from AFTERCARE_* environment variables and .env: the only reader of the environment."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///./var/aftercare.db"


class Settings(BaseSettings):
    """Deployment settings; every field maps to AFTERCARE_<FIELD_NAME>."""

    model_config = SettingsConfigDict(env_prefix="AFTERCARE_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_SQLITE_URL
    # Where patients and staff reach the service; enrolment links are built from it.
    public_url: str = "http://127.0.0.1:8000"
    protocol: str = "microsclerotherapy"

    enrolment_link_days: int = Field(default=14, ge=1, le=90)
    # A patient's phone stays signed in for the whole 8-week plan and a margin after it.
    device_session_days: int = Field(default=120, ge=1, le=365)
    staff_session_idle_minutes: int = Field(default=30, ge=5, le=24 * 60)
    staff_session_absolute_hours: int = Field(default=12, ge=1, le=72)
    # Treatments recorded further ahead than this are almost always typos.
    treatment_future_tolerance_minutes: int = Field(default=60, ge=0, le=24 * 60)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @cached_property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def enrolment_link_lifetime(self) -> timedelta:
        return timedelta(days=self.enrolment_link_days)

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
