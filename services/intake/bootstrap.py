"""Builds intake from settings: the API, the stream subscriber and the tests all start here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis

from services.intake.adapters.publisher import KafkaEventPublisher
from services.intake.adapters.sealing import SealingPublisher
from services.intake.adapters.store import IntakeStore
from services.intake.config import IntakeSettings
from services.intake.entrypoints.api import ESCO_ATTRIBUTION, include_routers
from services.intake.entrypoints.errors import BodyLimit, install_error_handlers
from services.intake.entrypoints.stream import register_subscribers
from services.intake.handlers import IntakeDeps
from shared.crypto import KeyStore
from shared.messaging import MessageGuard, build_broker
from shared.settings import CommonSettings, KafkaSettings, RedisSettings

DESCRIPTION = f"""
Brobygger intake: register citizens (intake / competence clarification) and opportunities, ask for
matches, and read ranked proposals with their reasons.

Events are published to Kafka keyed by the citizen or opportunity id. Invalid input is answered
422 with the field and the problem; a body over the limit 413; a broker that does not confirm in
time 503 (retry with the same `Idempotency-Key` header: a retried POST publishes once).

{ESCO_ATTRIBUTION} Danish occupation labels adapted from ESCO v1.0.8 (European Commission) via the
MELO benchmark (Avature, MIT licence).
"""


def bootstrap(
    common: CommonSettings | None = None,
    kafka: KafkaSettings | None = None,
    redis: RedisSettings | None = None,
    settings: IntakeSettings | None = None,
) -> FastAPI:
    """The intake ASGI app; the broker and Redis connect when it starts."""
    common = common or CommonSettings()
    kafka = kafka or KafkaSettings()
    redis_settings = redis or RedisSettings()
    settings = settings or IntakeSettings()

    broker = build_broker(kafka, "brobygger-intake", log_each_message=common.log_each_message)
    redis_client = Redis.from_url(redis_settings.url.get_secret_value(), socket_timeout=5)
    deps = IntakeDeps(
        publisher=SealingPublisher(
            KafkaEventPublisher(broker, settings.publish_timeout_s), KeyStore(redis_client, common.namespace)
        ),
        store=IntakeStore(redis_client, common.namespace),
        topics=common.topics,
        idempotency_ttl_s=settings.idempotency_ttl_s,
    )
    guard = MessageGuard(broker, common.topics, "intake")
    register_subscribers(broker, deps, guard, kafka)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()
            await redis_client.aclose()

    app = FastAPI(title="Brobygger intake", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.deps = deps
    app.state.guard = guard

    async def broker_ping() -> bool:
        return bool(await broker.ping(timeout=2.0))

    app.state.broker_ping = broker_ping
    install_error_handlers(app)
    include_routers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
