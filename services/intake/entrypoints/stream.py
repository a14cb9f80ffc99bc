"""Intake's one subscriber: it keeps the proposals read model it serves."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.intake import handlers
from services.intake.handlers import IntakeDeps
from shared.contracts import ProposalEvent
from shared.messaging import MessageGuard, subscribe
from shared.settings import KafkaSettings


def register_subscribers(broker: KafkaBroker, deps: IntakeDeps, guard: MessageGuard, kafka: KafkaSettings) -> None:
    async def on_proposals(event: ProposalEvent) -> None:
        await handlers.on_match_proposed(deps, event)

    subscribe(
        broker,
        guard,
        kafka,
        topic=deps.topics.proposals,
        group_id=deps.topics.group("intake", "proposals"),
        contract=ProposalEvent,
        handle=on_proposals,
        title="intake.proposals",
        description="Stores each ranking (SealedMatchProposed, or MatchProposed written before sealing) "
        "as the citizen's current proposals.",
    )
