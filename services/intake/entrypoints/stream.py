"""Intake's one subscriber: it keeps the proposals read model it serves."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.intake import handlers
from services.intake.handlers import IntakeDeps
from shared.contracts import MatchProposed
from shared.messaging import MessageGuard, subscribe
from shared.settings import KafkaSettings


def register_subscribers(broker: KafkaBroker, deps: IntakeDeps, guard: MessageGuard, kafka: KafkaSettings) -> None:
    async def on_proposals(event: MatchProposed) -> None:
        await handlers.on_match_proposed(deps, event)

    subscribe(
        broker,
        guard,
        kafka,
        topic=deps.topics.proposals,
        group_id=deps.topics.group("intake", "proposals"),
        contract=MatchProposed,
        handle=on_proposals,
        title="intake.proposals",
        description="Stores each MatchProposed as the citizen's current proposals.",
    )
