"""Intake's lifecycle subscribers, and the periodic sweep that expires offers and re-publishes the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker

from services.intake import lifecycle, lifecycle_follow
from services.intake.delivery_failures import DeliveryFailures, on_delivery_failed
from services.intake.entrypoints.read_stream import ReadModelHooks
from services.intake.lifecycle import LifecycleDeps
from services.intake.lifecycle_follow import Keys
from shared.contracts import (
    CitizenErased,
    CitizenEvent,
    DeliveryFailed,
    NotificationEvent,
    OpportunityEvent,
    OpportunityWithdrawn,
    ProposalEvent,
    SealedProposalTransitioned,
)
from shared.messaging import MessageGuard, Subscription, subscribe_all
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


def register_lifecycle_subscribers(
    broker: KafkaBroker,
    deps: LifecycleDeps,
    keys: Keys,
    guard: MessageGuard,
    kafka: KafkaSettings,
    failures: DeliveryFailures | None = None,
    also: ReadModelHooks | None = None,
) -> Callable[[ProposalEvent], Awaitable[None]]:
    """Subscribe to the topics intake reads for nothing else; the rankings come through intake's own
    proposals subscriber (the returned function), since the guard allows one consumer per topic.
    `failures` keeps the messages the notifier dead-lettered, for the caseworker's queue."""

    async def on_proposals(event: ProposalEvent) -> None:
        await lifecycle_follow.on_proposals(deps, keys, event)

    async def on_citizen(event: CitizenEvent) -> None:
        await lifecycle_follow.on_citizen_event(deps, keys, event)
        if failures is not None and isinstance(event, CitizenErased):
            await failures.forget(event.citizen_id)
        if also is not None:  # the caseload and KPI read models follow the same records
            await also.on_citizen(event)

    async def on_notification(event: NotificationEvent) -> None:
        if isinstance(event, DeliveryFailed):
            if failures is not None:
                await on_delivery_failed(failures, deps.directory, event)
            return
        await lifecycle_follow.on_notification(deps, event)

    async def on_opportunity(event: OpportunityEvent) -> None:
        if isinstance(event, OpportunityWithdrawn):
            await lifecycle_follow.on_opportunity_withdrawn(deps, event)
        if also is not None:  # the catalogue read model
            await also.on_opportunity(event)

    t = deps.topics
    subscriptions: list[Subscription] = [
        (
            t.citizens,
            "lifecycle-citizens",
            CitizenEvent,
            on_citizen,
            "Keeps channel and sealed contact; retracts when a profile update turns consent off.",
        ),
        (
            t.notifications,
            "lifecycle-notifications",
            NotificationEvent,
            on_notification,
            "Approved → offered; a dead-lettered message goes to the caseworker's queue.",
        ),
        (t.opportunities, "lifecycle-opportunities", OpportunityEvent, on_opportunity, "Retracts on withdrawal."),
    ]
    subscribe_all(broker, guard, kafka, t, "intake", subscriptions)
    broker.publisher(
        t.citizens,
        schema=SealedProposalTransitioned,
        title="intake.lifecycle",
        description="One SealedProposalTransitioned per lifecycle step, keyed by citizen; SealedConsentWithdrawn too.",
    )
    return on_proposals


async def sweep_forever(deps: LifecycleDeps, every_s: float) -> None:
    """Expire due offers and re-publish stuck outbox events, every `every_s`; errors are logged, never fatal."""
    while True:
        try:
            expired = await lifecycle.expire_due(deps)
            republished = await lifecycle.republish(deps)
            if expired or republished:
                log.info("lifecycle sweep: %d offers expired, %d events re-published", expired, republished)
        except Exception as exc:  # a Redis or broker outage: try again next round
            log.warning("lifecycle sweep failed: %s: %s", type(exc).__name__, exc)
        await asyncio.sleep(every_s)
