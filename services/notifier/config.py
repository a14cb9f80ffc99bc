"""Settings for the notifier only (`NOTIFIER_*`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    rights_url_da: str = "https://www.borger.dk/"
    rights_url_en: str = "https://lifeindenmark.borger.dk/"
