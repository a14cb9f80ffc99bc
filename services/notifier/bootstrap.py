"""Builds the notifier from settings. The service process and the tests both start here."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.notifier.adapters.smtp import MailSender, SmtpSender
from services.notifier.adapters.store import NotifierStore
from services.notifier.config import NotifierSettings
from services.notifier.entrypoints.stream import register_subscribers
from services.notifier.handlers import NotifierDeps
from shared.contracts import Event
from shared.crypto import CitizenErased, KeyRing, KeySettings, KeyStore, unseal
from shared.deadletters import RedisReplayLedger
from shared.messaging import MessageGuard, build_broker, publish_event
from shared.ops import Consumers, ops_app
from shared.redis_client import redis_client
from shared.settings import CommonSettings, KafkaSettings, RedisSettings

log = logging.getLogger(__name__)


def bootstrap(
    common: CommonSettings | None = None,
    kafka: KafkaSettings | None = None,
    redis: RedisSettings | None = None,
    settings: NotifierSettings | None = None,
    mail: MailSender | None = None,
) -> FastAPI:
    """The notifier as an ASGI app whose lifespan runs the stream consumers."""
    common = common or CommonSettings()
    kafka = kafka or KafkaSettings()
    redis_settings = redis or RedisSettings()
    settings = settings or NotifierSettings()
    common.refuse_local_defaults()

    broker = build_broker(kafka, "brobygger-notifier", log_each_message=common.log_each_message)
    store_client = redis_client(redis_settings)
    store = NotifierStore(store_client, common.namespace)
    keys = KeyStore(store_client, common.namespace, KeyRing.from_settings(KeySettings(), common.mode))

    async def publish(topic: str, key: str, event: Event) -> None:
        await publish_event(broker, topic, key, event)

    deps = NotifierDeps(
        store=store,
        keys=keys,
        mail=mail or SmtpSender(settings),
        publish=publish,
        topics=common.topics,
        mail_from=settings.mail_from,
        message_id_domain=settings.message_id_domain,
        contact_wait_s=settings.contact_wait_s,
        rights_url_da=settings.rights_url_da,
        rights_url_en=settings.rights_url_en,
        ranking_digest=settings.ranking_digest,
    )
    guard = MessageGuard(
        broker, common.topics, "notifier", kafka=kafka, ledger=RedisReplayLedger(store_client, common.namespace)
    )
    register_subscribers(broker, deps, guard, kafka)
    consumers = Consumers(broker, guard, kafka.shutdown_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The HTTP server answers /healthz while the consumers join their groups.
        async with consumers.running():
            try:
                yield
            finally:
                log.info("notifier stopping: finishing in-flight records")
        await store_client.aclose()

    async def readiness() -> dict[str, object]:
        try:
            redis_ok = await store.ping()
        except Exception:
            redis_ok = False
        return {"kafka": bool(await broker.ping(timeout=2.0)), "redis": redis_ok, **consumers.checks()}

    def stats() -> dict[str, object]:
        return dict(guard.counters)

    async def export(citizen_id: uuid.UUID) -> dict[str, object]:
        contact: dict[str, object] | None = None
        stored = await store.contact(citizen_id)
        if stored is not None:
            sealed, language, channel = stored
            with contextlib.suppress(CitizenErased):
                _, key = await keys.for_reading(citizen_id)
                personal = unseal(sealed, key, citizen_id)
                contact = {"email": personal.email, "name": personal.name, "language": language, "channel": channel}
        return {"service": "notifier", "contact": contact, "deliveries": await store.deliveries_of(citizen_id)}

    app = ops_app("Brobygger notifier", lifespan, common, readiness, stats, export, guard)
    app.state.deps = deps
    return app
