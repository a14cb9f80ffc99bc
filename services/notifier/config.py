"""Settings for the notifier only (`NOTIFIER_*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Caseworker(BaseModel):
    """Who the citizen can reach about a message: a caseworker, or the municipality's desk."""

    name: str = Field(min_length=1, max_length=100, examples=["Jobcentret Holbæk"])
    phone: str | None = Field(default=None, max_length=30, examples=["+45 72 36 36 36"])
    email: str | None = Field(default=None, max_length=200, examples=["jobcenter@holb.dk"])


class NotifierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8002, ge=0, le=65535, description="Health and readiness endpoints.")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    mail_from: str = Field(default="Brobygger <noreply@brobygger.local>", description="From: of every e-mail.")
    message_id_domain: str = Field(default="brobygger.local", description="Right-hand side of Message-IDs.")
    contact_wait_s: float = Field(
        default=30.0, ge=0, description="How long a ranking waits for the citizen's contact details to arrive."
    )
    ranking_digest: bool = Field(
        default=False,
        description="The pre-lifecycle e-mail of every ranking. Off: the citizen hears only of approved proposals.",
    )
    digest_min_interval_s: float = Field(
        default=24 * 3600, ge=0, description="At most one message to a citizen per this many seconds (a day)."
    )
    digest_quiet_s: float = Field(
        default=60.0,
        ge=0,
        description="A digest waits this long after the latest approval, so approvals made together go together.",
    )
    digest_max_items: int = Field(default=5, ge=1, le=20, description="Proposals shown in one message.")
    sweep_s: float = Field(default=5.0, gt=0, description="How often due digests and owner deliveries are sent.")
    sweep_concurrency: int = Field(
        default=8, ge=1, le=64, description="Messages one sweep sends at a time (each under its own Redis claim)."
    )
    retry_initial_s: float = Field(default=30.0, gt=0, description="First wait before retrying a failed delivery.")
    retry_max_attempts: int = Field(
        default=8, ge=1, description="Attempts before a delivery is dead-lettered and shown in the caseworker's queue."
    )
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Intake's public address, where answer links open."
    )
    link_ttl_s: float = Field(
        default=14 * 24 * 3600, gt=0, description="How long an answer link works (the offer's expiry)."
    )
    caseworkers: dict[str, Caseworker] = Field(
        default_factory=dict, description="Caseworker directory, keyed by the caseworker's token subject."
    )
    municipality_contacts: dict[str, Caseworker] = Field(
        default_factory=dict, description="Per municipality code: who to contact when no caseworker is named."
    )
    default_contact: Caseworker = Field(
        default=Caseworker(name="Jobcentret", phone=None, email=None),
        description="Who to contact when neither a caseworker nor the municipality is configured.",
    )
    rights_url_da: str = "https://www.borger.dk/"
    rights_url_en: str = "https://lifeindenmark.borger.dk/"
    rights_url_ar: str = "https://lifeindenmark.borger.dk/"
    rights_url_uk: str = "https://lifeindenmark.borger.dk/"
