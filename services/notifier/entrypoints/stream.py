"""The notifier's subscribers: citizen events (contact details) and rankings (e-mails).

Both take the contract types; the guard (`shared.guard`) decodes, dead-letters and retries.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.notifier import handlers
from services.notifier.handlers import NotifierDeps
from shared.contracts import CitizenEvent, NotificationSent, ProposalEvent
from shared.messaging import MessageGuard, subscribe
from shared.settings import KafkaSettings


def register_subscribers(broker: KafkaBroker, deps: NotifierDeps, guard: MessageGuard, kafka: KafkaSettings) -> None:
    async def on_citizen(event: CitizenEvent) -> None:
        await handlers.on_citizen_event(deps, event)

    async def on_proposals(event: ProposalEvent) -> None:
        await handlers.on_match_proposed(deps, event)

    subscribe(
        broker,
        guard,
        kafka,
        topic=deps.topics.citizens,
        group_id=deps.topics.group("notifier", "citizens"),
        contract=CitizenEvent,
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
        contract=ProposalEvent,
        handle=on_proposals,
        title="notifier.proposals",
        description="E-mails the citizen once per ranking (SealedMatchProposed, or MatchProposed), "
        "Danish first with English below (at most one resend after a crash, with the same Message-ID).",
    )
    broker.publisher(
        deps.topics.notifications,
        schema=NotificationSent,
        title="notifier.notifications",
        description="One NotificationSent per ranking e-mailed; its id derives from the ranking.",
    )
