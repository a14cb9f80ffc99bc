"""Settings for intake only (`INTAKE_*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.intake.domain.kpi import Targets
from shared.contracts import OpportunityKind

# Known to everyone who reads this file: good for a laptop, refused in production mode.
LOCAL_JWT_SECRET = "brobygger-local-development-only-not-a-secret"
LOCAL_JWT_ISSUER = "brobygger-local"
DEFAULT_JWT_AUDIENCE = "brobygger-intake"


class UnsafeSettings(ValueError):
    """Settings that must not be used in production mode."""


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    publish_timeout_s: float = Field(default=5.0, gt=0, description="Longest wait for the broker before 503.")
    max_body_bytes: int = Field(default=256_000, ge=1024, description="Largest request body accepted.")
    idempotency_ttl_s: int = Field(default=24 * 3600, ge=60, description="How long an Idempotency-Key is remembered.")

    jwt_issuer: str = Field(default=LOCAL_JWT_ISSUER, min_length=1, description="Required `iss` of every token.")
    jwt_audience: str = Field(default=DEFAULT_JWT_AUDIENCE, min_length=1, description="Required `aud`.")
    jwt_secret: SecretStr = Field(
        default=SecretStr(LOCAL_JWT_SECRET), description="HS256 key, used when no JWKS URL is set."
    )
    jwt_jwks_url: str | None = Field(
        default=None, description="The identity provider's JWKS (https); when set, only RS256 tokens are accepted."
    )
    jwt_algorithms: tuple[Literal["RS256", "RS384", "RS512", "ES256", "PS256"], ...] = Field(
        default=("RS256",), min_length=1, description="Accepted signature algorithms with a JWKS URL."
    )
    jwt_leeway_s: int = Field(default=30, ge=0, le=300, description="Clock skew tolerated on `exp`, `nbf`, `iat`.")
    public_docs: bool | None = Field(
        default=None, description="Serve /docs, /redoc and /openapi.json without a token (default: only locally)."
    )
    rate_limit_per_minute: int = Field(default=600, ge=1, description="Write requests per token subject per minute.")
    metrics_host: str = Field(default="127.0.0.1", description="Internal address of the Prometheus endpoint.")
    matcher_url: str = Field(
        default="http://127.0.0.1:8001", description="The matcher's internal address, for the right-of-access export."
    )
    notifier_url: str = Field(
        default="http://127.0.0.1:8002", description="The notifier's internal address, for the right-of-access export."
    )
    export_timeout_s: float = Field(default=5.0, gt=0, description="How long the export waits for each service.")
    csrf_secret: SecretStr | None = Field(
        default=None,
        description="Key for the web pages' CSRF tokens; set the same on every intake replica (default: random).",
    )
    kpi_target_employment_after_3_years: float = Field(
        default=0.5, ge=0, le=1, description="Share in work three years after the programme start (national: half)."
    )
    kpi_target_danish_test_within_5_years: float = Field(
        default=0.5, ge=0, le=1, description="Share who pass a Danish test within five years (barometer 3.3)."
    )
    kpi_target_lasting_employment_12_months: float = Field(
        default=0.7, ge=0, le=1, description="Share still in work 12 months after a job started."
    )
    kpi_target_association_participation: float = Field(
        default=0.2, ge=0, le=1, description="Share who said yes to an association activity."
    )
    suggest_timeout_s: float = Field(
        default=0.5, gt=0, description="How long an ESCO autocomplete request waits for the matcher."
    )
    owner_approval: bool = Field(
        default=True,
        description="An opportunity from an owner the municipality has not approved waits for a caseworker.",
    )
    approved_owners: frozenset[str] = Field(
        default=frozenset(),
        description="Owners approved everywhere from the start (JSON list of `company:<CVR>`, `association:<id>`).",
    )
    read_rate_limit_per_minute: int = Field(
        default=1200, ge=1, description="Read requests per token subject per minute."
    )
    metrics_port: int = Field(
        default=9464, ge=0, le=65535, description="Internal Prometheus port (not the API port); 0 picks a free one."
    )

    offer_expiry_s: float = Field(
        default=14 * 24 * 3600, gt=0, description="An offer the citizen has not answered expires after this long."
    )
    lifecycle_sweep_s: float = Field(
        default=60.0, gt=0, description="How often intake expires due offers and re-publishes stuck lifecycle events."
    )
    auto_approve_kinds: tuple[OpportunityKind, ...] = Field(
        default=(OpportunityKind.ASSOCIATION_ACTIVITY,),
        description="Opportunity kinds approved without a caseworker (every municipality without its own setting).",
    )
    auto_approve_by_municipality: dict[str, tuple[OpportunityKind, ...]] = Field(
        default_factory=dict, description='Per municipality code, e.g. {"316": ["association_activity"]}.'
    )
    no_candidates_before_yes: tuple[str, ...] = Field(
        default=(), description="Municipality codes whose companies see no pseudonymous candidates before a yes."
    )

    def kpi_targets(self) -> Targets:
        return Targets(
            employment_after_3_years=self.kpi_target_employment_after_3_years,
            danish_test_within_5_years=self.kpi_target_danish_test_within_5_years,
            lasting_employment_12_months=self.kpi_target_lasting_employment_12_months,
            association_participation=self.kpi_target_association_participation,
        )

    def docs_public(self, mode: str) -> bool:
        return self.public_docs if self.public_docs is not None else mode == "local"

    def problems_for(self, mode: str) -> list[str]:
        """Every setting that `mode` refuses, as a sentence naming the variable; never a secret's value."""
        if mode != "production":
            return []
        problems: list[str] = []
        secret = self.jwt_secret.get_secret_value()
        if self.jwt_jwks_url is None:
            if secret == LOCAL_JWT_SECRET:
                problems.append(
                    "INTAKE_JWT_SECRET is the local default, which everyone knows; "
                    "set INTAKE_JWT_JWKS_URL to the identity provider's keys (or a secret of 32+ random bytes)"
                )
            elif len(secret.encode()) < 32:
                problems.append("INTAKE_JWT_SECRET is shorter than 32 bytes")
        elif not self.jwt_jwks_url.startswith("https://"):
            problems.append("INTAKE_JWT_JWKS_URL must be an https:// URL")
        if self.jwt_issuer == LOCAL_JWT_ISSUER:
            problems.append(f"INTAKE_JWT_ISSUER is the local default `{LOCAL_JWT_ISSUER}`; set the IdP's issuer")
        if self.public_docs:
            problems.append("INTAKE_PUBLIC_DOCS is true; the API docs are public only in local mode")
        return problems
