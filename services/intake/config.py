"""Settings for intake only (`INTAKE_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    publish_timeout_s: float = Field(default=5.0, gt=0, description="Longest wait for the broker before 503.")
    max_body_bytes: int = Field(default=256_000, ge=1024, description="Largest request body accepted.")
    idempotency_ttl_s: int = Field(default=24 * 3600, ge=60, description="How long an Idempotency-Key is remembered.")
