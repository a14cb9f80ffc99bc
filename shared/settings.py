"""Connection settings every service shares. Read from the environment, never at import time."""

from __future__ import annotations

import hmac
import logging
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.topics import Topics

log = logging.getLogger(__name__)


class KafkaSettings(BaseSettings):
    """`KAFKA_*`: where the broker is and how the clients behave."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = Field(description="Comma-separated host:port list.", examples=["127.0.0.1:9092"])
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # Joining a group takes about half the session timeout on the local broker; see LOCAL-BROKER notes.
    session_timeout_ms: int = Field(default=6000, ge=1000)
    heartbeat_interval_ms: int = Field(default=1000, ge=100)
    fetch_max_wait_ms: int = Field(default=100, ge=0)
    request_timeout_ms: int = Field(default=10000, ge=1000)
    max_record_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest record a service publishes or accepts; a larger one is dead-lettered.",
    )
    retry_initial_s: float = Field(default=0.2, gt=0, description="First backoff after a transient failure.")
    retry_max_s: float = Field(default=30.0, gt=0, description="Longest backoff between retries.")
    shutdown_timeout_s: float = Field(
        default=10.0, gt=0, description="On SIGTERM, how long in-flight records may take before the process exits."
    )


class RedisSettings(BaseSettings):
    """`REDIS_URL`: the Redis (6.2+) or Valkey that holds read models, idempotency and state."""

    model_config = SettingsConfigDict(env_prefix="REDIS_", extra="ignore")

    url: SecretStr = Field(description="redis:// or rediss:// URL; may carry a password.")
    max_connections: int = Field(default=100, ge=1, description="Connections per process (a blocking pool).")
    pool_timeout_s: float = Field(
        default=5.0, gt=0, description="How long a caller waits for a free connection before failing."
    )
    socket_timeout_s: float = Field(default=5.0, gt=0, description="Connect and read timeout of one command.")


LOCAL_INTERNAL_TOKEN = "local-only-internal-token"  # refused in production mode
LOCAL_LINK_SECRET = "local-only-link-secret-not-a-secret"  # refused in production mode


class CommonSettings(BaseSettings):
    """`BROBYGGER_*`: settings every service reads."""

    model_config = SettingsConfigDict(env_prefix="BROBYGGER_", extra="ignore")

    mode: Literal["local", "production"] = Field(
        default="local",
        description="`production` refuses local default secrets and public API docs at start-up.",
    )
    namespace: str = Field(
        default="",
        pattern=r"^[a-z0-9\-]*\.?$",
        description="Prefix for topics, consumer groups and Redis keys; lets several systems share a cluster.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_each_message: bool = Field(default=False, description="Per-message INFO logging; off by default.")
    internal_token: SecretStr = Field(
        default=SecretStr(LOCAL_INTERNAL_TOKEN),
        description="Shared secret on the services' internal endpoints (export for the right of access).",
    )

    link_secret: SecretStr = Field(
        default=SecretStr(LOCAL_LINK_SECRET),
        description="Signs the citizen's answer links (the notifier signs, intake verifies); 32+ random bytes.",
    )
    webhook_key: SecretStr | None = Field(
        default=None,
        deprecated="BROBYGGER_WEBHOOK_KEY is retired: owners' webhook secrets are sealed under BROBYGGER_KEK",
        description="Retired and ignored (a warning at start-up when set): webhook secrets are sealed under a "
        "key derived from BROBYGGER_KEK. Unset it once owners have registered their webhooks again.",
    )

    def internal_token_matches(self, presented: str | None) -> bool:
        # As bytes: `compare_digest` raises TypeError on a str that is not ASCII (a 500, found by a probe).
        expected = self.internal_token.get_secret_value().encode()
        return presented is not None and hmac.compare_digest(presented.encode("utf-8", "surrogateescape"), expected)

    def refuse_local_defaults(self) -> None:
        """In production, refuse to start with a secret everyone can read in this repository.

        Every service calls this at start-up; it also warns about a retired setting that is still set.
        """
        if "webhook_key" in self.model_fields_set:
            log.warning(
                "BROBYGGER_WEBHOOK_KEY is retired and ignored: owners' webhook secrets are sealed under BROBYGGER_KEK"
            )
        if self.mode != "production":
            return
        if self.internal_token.get_secret_value() == LOCAL_INTERNAL_TOKEN:
            raise ValueError("BROBYGGER_INTERNAL_TOKEN must be set to a secret of your own in production mode")
        link = self.link_secret.get_secret_value()
        if link == LOCAL_LINK_SECRET or len(link.encode()) < 32:
            raise ValueError("BROBYGGER_LINK_SECRET must be a secret of your own (32+ bytes) in production mode")

    @property
    def topics(self) -> Topics:
        return Topics(prefix=self.namespace)
