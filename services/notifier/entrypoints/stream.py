"""The notifier's subscribers: citizen events (contact details) and rankings (e-mails)."""

from __future__ import annotations

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.notifier import handlers
from services.notifier.handlers import NotifierDeps
from shared.contracts import MatchProposed, citizen_event_adapter
from shared.messaging import MessageGuard, consumer_options
from shared.settings import KafkaSettings


def register_subscribers(broker: KafkaBroker, deps: NotifierDeps, guard: MessageGuard, kafka: KafkaSettings) -> None:
    @broker.subscriber(  # type: ignore[call-overload,untyped-decorator]
        deps.topics.citizens,
        **consumer_options(kafka, deps.topics.group("notifier", "citizens")),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="notifier.citizens",
        description="Keeps each citizen's contact details and channel; forgets them on CitizenErased.",
    )
    async def on_citizen(message: KafkaMessage) -> None:
        async def handle(body: bytes) -> None:
            await handlers.on_citizen_event(deps, citizen_event_adapter.validate_json(body))

        await guard.run(message.raw_message, handle)

    @broker.subscriber(  # type: ignore[call-overload,untyped-decorator]
        deps.topics.proposals,
        **consumer_options(kafka, deps.topics.group("notifier", "proposals")),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="notifier.proposals",
        description="E-mails the citizen once per MatchProposed, Danish first with English below.",
    )
    async def on_proposals(message: KafkaMessage) -> None:
        async def handle(body: bytes) -> None:
            await handlers.on_match_proposed(deps, MatchProposed.model_validate_json(body))

        await guard.run(message.raw_message, handle)
