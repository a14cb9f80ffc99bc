"""Intake's one subscriber: it keeps the proposals read model it serves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker

from services.intake import handlers
from services.intake.handlers import IntakeDeps
from shared.contracts import ProposalEvent
from shared.messaging import MessageGuard, subscribe
from shared.settings import KafkaSettings


def register_subscribers(
    broker: KafkaBroker,
    deps: IntakeDeps,
    guard: MessageGuard,
    kafka: KafkaSettings,
    then: Callable[[ProposalEvent], Awaitable[None]] | None = None,
) -> None:
    """`then` also runs for each ranking (the lifecycle tracks its proposals): one consumer per topic per
    process, because the guard keeps its pause and retry state per topic-partition."""

    async def on_proposals(event: ProposalEvent) -> None:
        await handlers.on_match_proposed(deps, event)
        if then is not None:
            await then(event)

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
        "as the citizen's current proposals, and starts the lifecycle of each of its proposals.",
    )
