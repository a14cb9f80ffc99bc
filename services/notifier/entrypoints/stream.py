"""The notifier's subscribers: citizen events (contacts and the lifecycle), opportunities (owners and times),
owners' webhook registrations, and rankings (the optional pre-lifecycle e-mail).

All take the contract types; the guard (`shared.guard`) decodes, dead-letters and retries.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.notifier import handlers
from services.notifier.ports import NotifierDeps
from shared.contracts import (
    CitizenEvent,
    DeliveryFailed,
    NotificationSent,
    OpportunityEvent,
    OwnerWebhookRegistered,
    ProposalEvent,
)
from shared.messaging import MessageGuard, Subscription, subscribe_all
from shared.settings import KafkaSettings


def register_subscribers(broker: KafkaBroker, deps: NotifierDeps, guard: MessageGuard, kafka: KafkaSettings) -> None:
    async def on_citizen(event: CitizenEvent) -> None:
        await handlers.on_citizen_event(deps, event)

    async def on_opportunity(event: OpportunityEvent) -> None:
        await handlers.on_opportunity_event(deps, event)

    async def on_owner(event: OwnerWebhookRegistered) -> None:
        await handlers.on_owner_event(deps, event)

    async def on_proposals(event: ProposalEvent) -> None:
        await handlers.on_match_proposed(deps, event)

    t = deps.topics
    subscriptions: list[Subscription] = [
        (
            t.citizens,
            "citizens",
            CitizenEvent,
            on_citizen,
            "Keeps each citizen's contact details and channel (forgotten on CitizenErased); an approved "
            "proposal waits for the citizen's digest; a yes queues the owner's notices.",
        ),
        (
            t.opportunities,
            "opportunities",
            OpportunityEvent,
            on_opportunity,
            "Keeps each opportunity's owner, the owner's e-mail and the weekly times, for messages.",
        ),
        (t.owners, "owners", OwnerWebhookRegistered, on_owner, "Keeps each owner's webhook, its secret sealed."),
        (
            t.proposals,
            "proposals",
            ProposalEvent,
            on_proposals,
            "Only with NOTIFIER_RANKING_DIGEST: e-mails every ranking (pre-lifecycle behaviour).",
        ),
    ]
    subscribe_all(broker, guard, kafka, t, "notifier", subscriptions)
    broker.publisher(
        t.notifications,
        schema=NotificationSent,
        title="notifier.notifications",
        description="One NotificationSent per message to a citizen; its id derives from the proposals it carries.",
    )
    broker.publisher(
        t.notifications,
        schema=DeliveryFailed,
        title="notifier.delivery-failed",
        description="A message dead-lettered after its last retry, with the reason; intake shows it to the caseworker.",
    )
