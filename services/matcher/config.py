"""Settings for the matcher only (`MATCHER_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MatcherSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8001, ge=0, le=65535, description="Health and readiness endpoints.")
    top_n: int = Field(default=10, ge=1, le=50, description="Proposals per ranking unless the request says otherwise.")
    replay_wait_s: float = Field(
        default=60.0, gt=0, description="How long a citizen event waits for the catalogue replay."
    )
    capacity_per_place: int = Field(default=3, ge=1, le=100, description="Open proposals allowed per free place.")
    capacity_hold_s: int = Field(
        default=21 * 24 * 3600,
        ge=60,
        description="Safety net: a hold whose lifecycle event never came stops counting after this long "
        "(renewed when offered; longer than intake's offer expiry; a yes never times out).",
    )
    processed_ttl_s: int = Field(
        default=7 * 24 * 3600, ge=60, description="How long processed event ids are remembered."
    )
