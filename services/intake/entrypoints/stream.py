"""Intake's one subscriber: it keeps the proposals read model it serves."""

from __future__ import annotations

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.intake import handlers
from services.intake.handlers import IntakeDeps
from shared.contracts import MatchProposed
from shared.messaging import MessageGuard, consumer_options
from shared.settings import KafkaSettings


def register_subscribers(broker: KafkaBroker, deps: IntakeDeps, guard: MessageGuard, kafka: KafkaSettings) -> None:
    @broker.subscriber(  # type: ignore[call-overload,untyped-decorator]
        deps.topics.proposals,
        **consumer_options(kafka, deps.topics.group("intake", "proposals")),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="intake.proposals",
        description="Stores each MatchProposed as the citizen's current proposals.",
    )
    async def on_proposals(message: KafkaMessage) -> None:
        async def handle(body: bytes) -> None:
            await handlers.on_match_proposed(deps, MatchProposed.model_validate_json(body))

        await guard.run(message.raw_message, handle)
