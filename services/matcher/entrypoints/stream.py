"""The matcher's subscribers: citizen events in a consumer group, opportunity events to the catalogue.

The citizen subscriber takes batches: records of one partition are handled in order (order per
citizen holds), partitions side by side; one bad record is dead-lettered alone, and a partition
whose record waits on a server pauses alone. What a batch sends is confirmed together, and only
then are the offsets of what was done committed.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.matcher import handlers
from services.matcher.adapters.catalogue_follower import Apply
from services.matcher.adapters.outbox import Outbox, ProcessedMarks
from services.matcher.handlers import MatcherDeps
from shared.contracts import CitizenEvent, SealedMatchProposed, citizen_event_adapter, opportunity_event_adapter
from shared.guard import Outcome
from shared.messaging import (
    MessageGuard,
    Transient,
    consumer_options,
    decode_each,
    decode_record,
    decoded_records,
    tolerant_parser,
)
from shared.settings import KafkaSettings

BATCH = 64


def register_subscribers(
    broker: KafkaBroker, deps: MatcherDeps, guard: MessageGuard, kafka: KafkaSettings, profiles: ProcessedMarks
) -> None:
    @broker.subscriber(  # type: ignore[call-overload,untyped-decorator]
        deps.topics.citizens,
        **consumer_options(kafka, deps.topics.group("matcher", "citizens")),
        batch=True,
        max_records=BATCH,
        parser=tolerant_parser,
        decoder=decode_each(citizen_event_adapter, guard.max_record_bytes),
        title="matcher.citizens",
        description="Ranks on CitizenProfileSubmitted and MatchRequested; keeps profiles; forgets on CitizenErased.",
    )
    async def on_citizens(events: list[CitizenEvent], message: KafkaMessage) -> None:
        # `events` are the records that decoded; the guard needs every record's place, so the batch is
        # walked through `decoded_records`, which keeps each record with its event or its error.
        await handle_batch(broker, deps, guard, profiles, message)

    broker.publisher(
        deps.topics.proposals,
        schema=SealedMatchProposed,
        title="matcher.proposals",
        description="One SealedMatchProposed per ranking (a MatchProposed sealed with the citizen's key); "
        "its id derives from the triggering event.",
    )


async def handle_batch(
    broker: KafkaBroker, deps: MatcherDeps, guard: MessageGuard, profiles: ProcessedMarks, message: KafkaMessage
) -> None:
    consumer = message.consumer
    by_partition: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    for record, decoded in decoded_records(message):
        by_partition[record.partition].append((record, decoded))
    if not deps.catalogue_ready.is_set():
        waiting = Transient("the opportunity catalogue is still replaying")
        for items in by_partition.values():
            guard.retry_later(consumer, items[0][0], guard.outcome_of(items[0][0], waiting))
        return
    outbox = Outbox(broker, profiles, guard.max_record_bytes)

    async def in_order(items: list[tuple[Any, Any]]) -> list[Outcome]:
        done: list[Outcome] = []
        for record, decoded in items:

            async def handle(decoded: Any = decoded) -> None:
                if isinstance(decoded, BaseException):
                    raise decoded
                await handlers.on_citizen_event(deps, decoded, outbox)

            outcome = await guard.attempt(record, handle, outbox.publish)
            if outcome.status == "retry":
                guard.retry_later(consumer, record, outcome)
                break  # the rest of this partition waits behind it, in order
            done.append(outcome)
        return done

    # Partitions are independent (keyed by citizen), so their waits on Redis overlap.
    results = await asyncio.gather(*(in_order(items) for items in by_partition.values()))
    try:
        await outbox.flush()
    except Exception as exc:
        # Nothing this batch sent is confirmed: every partition goes back to where the batch began.
        for items in by_partition.values():
            first = items[0][0]
            guard.retry_later(consumer, first, guard.outcome_of(first, Transient(f"{type(exc).__name__}: {exc}")))
        return
    await guard.finish(consumer, [outcome for outcomes in results for outcome in outcomes])


def catalogue_applier(deps: MatcherDeps, guard: MessageGuard) -> Apply:
    """The function the catalogue follower calls for each opportunity record; False means "wait, retry"."""

    async def apply(consumer: Any, record: Any) -> bool:
        async def handle() -> None:
            event = opportunity_event_adapter.validate_python(decode_record(record.value, guard.max_record_bytes))
            await handlers.apply_opportunity_event(deps, event)

        outcome = await guard.attempt(record, handle, guard.send_letter)
        if outcome.status == "retry":
            guard.retry_later(consumer, record, outcome)
            return False
        await guard.finish(consumer, [outcome], commit=False)
        return True

    return apply
