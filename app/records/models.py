"""Schemas for a patient's whole record: the erasure confirmation."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class EraseRequest(SQLModel):
    model_config = {"extra": "forbid"}

    confirm_name: str = Field(max_length=400)
