"""One local broker and one Redis per test session; every test gets its own namespace."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from brobygger.infra import LocalInfra, create_topics
from shared.settings import CommonSettings, KafkaSettings, RedisSettings
from shared.topics import Topics


class InfraHandle:
    """The session's broker and Redis (local, or from KAFKA_BOOTSTRAP_SERVERS and REDIS_URL)."""

    def __init__(self, kafka_bootstrap: str, redis_url: str, local: LocalInfra | None) -> None:
        self.kafka_bootstrap = kafka_bootstrap
        self.redis_url = redis_url
        self.local = local

    def kafka_settings(self) -> KafkaSettings:
        # Test timings from the local-broker notes: group join ≈ 1 s, fetch latency ≈ ms.
        return KafkaSettings(
            bootstrap_servers=self.kafka_bootstrap,
            session_timeout_ms=2000,
            heartbeat_interval_ms=300,
            fetch_max_wait_ms=100,
            request_timeout_ms=5000,
        )

    def redis_settings(self) -> RedisSettings:
        return RedisSettings(url=self.redis_url)


@pytest.fixture(scope="session")
def infra() -> Iterator[InfraHandle]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("REDIS_URL"):
        yield InfraHandle(os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["REDIS_URL"], None)
        return
    local = LocalInfra().start()
    try:
        yield InfraHandle(local.kafka_bootstrap, local.redis_url, local)
    finally:
        local.stop()


@pytest.fixture
def common(infra: InfraHandle) -> CommonSettings:
    """A fresh namespace: own topics, consumer groups and Redis keys for this test."""
    namespace = f"t{uuid.uuid4().hex[:10]}."
    create_topics(infra.kafka_bootstrap, list(Topics(prefix=namespace).all()))
    return CommonSettings(namespace=namespace)
