"""The notifier's subscribers: citizen events (contact details) and rankings (e-mails)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.notifier import handlers
from services.notifier.handlers import NotifierDeps
from shared.contracts import MatchProposed, citizen_event_adapter
from shared.messaging import MessageGuard, subscribe
from shared.settings import KafkaSettings


def register_subscribers(broker: KafkaBroker, deps: NotifierDeps, guard: MessageGuard, kafka: KafkaSettings) -> None:
    async def on_citizen(body: bytes) -> None:
        await handlers.on_citizen_event(deps, citizen_event_adapter.validate_json(body))

    async def on_proposals(body: bytes) -> None:
        await handlers.on_match_proposed(deps, MatchProposed.model_validate_json(body))

    subscribe(
        broker,
        guard,
        kafka,
        topic=deps.topics.citizens,
        group_id=deps.topics.group("notifier", "citizens"),
        handle=on_citizen,
        title="notifier.citizens",
        description="Keeps each citizen's contact details and channel; forgets them on CitizenErased.",
    )
    subscribe(
        broker,
        guard,
        kafka,
        topic=deps.topics.proposals,
        group_id=deps.topics.group("notifier", "proposals"),
        handle=on_proposals,
        title="notifier.proposals",
        description="E-mails the citizen once per MatchProposed, Danish first with English below.",
    )
