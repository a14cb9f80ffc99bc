"""Builds the notifier from settings. The service process and the tests both start here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.notifier.adapters.render import Renderer
from services.notifier.adapters.smtp import SmtpSender
from services.notifier.adapters.store import NotifierStore
from services.notifier.adapters.webhook import HttpWebhookSender, WebhookSender
from services.notifier.config import Caseworker, NotifierSettings
from services.notifier.domain.compose import Contact
from services.notifier.entrypoints.stream import register_subscribers
from services.notifier.ports import MailSender, NotifierDeps
from services.notifier.sending import sweep_forever
from shared import background
from shared.contracts import Event
from shared.crypto import CitizenErased, KeyRing, KeySettings, KeyStore, unseal
from shared.deadletters import RedisReplayLedger
from shared.messaging import MessageGuard, build_broker, publish_event
from shared.ops import Consumers, ops_app
from shared.redis_client import redis_client
from shared.settings import CommonSettings, KafkaSettings, RedisSettings
from shared.webhooks import Resolver, system_resolver

log = logging.getLogger(__name__)


def _contact(c: Caseworker) -> Contact:
    return Contact(name=c.name, phone=c.phone, email=c.email)


def bootstrap(
    common: CommonSettings | None = None,
    kafka: KafkaSettings | None = None,
    redis: RedisSettings | None = None,
    settings: NotifierSettings | None = None,
    mail: MailSender | None = None,
    webhooks: WebhookSender | None = None,
    resolver: Resolver = system_resolver,
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
        webhooks=webhooks or HttpWebhookSender(settings.webhook_timeout_s),
        publish=publish,
        renderer=Renderer(),
        topics=common.topics,
        settings=settings,
        link_secret=common.link_secret.get_secret_value(),
        webhook_key=common.webhook_key.get_secret_value(),
        production=common.mode == "production",
        resolver=resolver,
        directory={subject: _contact(c) for subject, c in settings.caseworkers.items()},
        municipalities={code: _contact(c) for code, c in settings.municipality_contacts.items()},
        default_contact=_contact(settings.default_contact),
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
            sweeper = asyncio.create_task(sweep_forever(deps))
            try:
                yield
            finally:
                log.info("notifier stopping: finishing in-flight records")
                await background.stop(sweeper)
        await store_client.aclose()

    async def readiness() -> dict[str, object]:
        try:
            redis_ok = await store.ping()
        except Exception:
            redis_ok = False
        return {"kafka": bool(await broker.ping(timeout=2.0)), "redis": redis_ok, **consumers.checks()}

    def stats() -> dict[str, object]:
        return {**guard.counters, **{f"messages_{k}": v for k, v in deps.counters.items()}}

    async def export(citizen_id: uuid.UUID) -> dict[str, object]:
        contact: dict[str, object] | None = None
        stored = await store.contact(citizen_id)
        if stored is not None:
            with contextlib.suppress(CitizenErased):
                _, key = await keys.for_reading(citizen_id)
                personal = unseal(stored.sealed, key, citizen_id)
                contact = {
                    "email": personal.email,
                    "name": personal.name,
                    "language": stored.language,
                    "channel": stored.channel,
                }
        return {"service": "notifier", "contact": contact, "deliveries": await store.deliveries_of(citizen_id)}

    app = ops_app("Brobygger notifier", lifespan, common, readiness, stats, export, guard)
    app.state.deps = deps
    return app
