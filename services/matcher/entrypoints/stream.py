"""The matcher's subscribers: citizen events in a consumer group, opportunity events to the catalogue."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.matcher import handlers
from services.matcher.adapters.catalogue_follower import Apply
from services.matcher.adapters.outbox import Outbox, ProcessedMarks
from services.matcher.handlers import MatcherDeps
from shared.contracts import citizen_event_adapter, opportunity_event_adapter
from shared.messaging import MessageGuard, consumer_options
from shared.settings import KafkaSettings

BATCH = 64


def register_subscribers(
    broker: KafkaBroker, deps: MatcherDeps, guard: MessageGuard, kafka: KafkaSettings, profiles: ProcessedMarks
) -> None:
    @broker.subscriber(  # type: ignore[call-overload,untyped-decorator]
        deps.topics.citizens,
        **consumer_options(kafka, deps.topics.group("matcher", "citizens")),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True,
        max_records=BATCH,
        title="matcher.citizens",
        description="Ranks on CitizenProfileSubmitted and MatchRequested; keeps profiles; forgets on CitizenErased.",
    )
    async def on_citizens(message: KafkaMessage) -> None:
        # Records of one partition are handled in order (order per citizen holds); what they send
        # is confirmed together, and only then is the batch committed.
        outbox = Outbox(broker, profiles)

        async def handle(body: bytes) -> None:
            await handlers.on_citizen_event(deps, citizen_event_adapter.validate_json(body), outbox)

        records = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        by_partition: dict[int, list[ConsumerRecord[bytes, bytes]]] = defaultdict(list)
        for record in records:
            by_partition[record.partition].append(record)

        async def in_order(partition_records: list[ConsumerRecord[bytes, bytes]]) -> None:
            for record in partition_records:
                await guard.run(record, handle)

        # Partitions are independent (keyed by citizen), so their waits on Redis overlap.
        results = await asyncio.gather(*(in_order(rs) for rs in by_partition.values()), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        await outbox.flush()


def catalogue_applier(deps: MatcherDeps, guard: MessageGuard) -> Apply:
    """The function the catalogue follower calls for each opportunity record."""

    async def apply(record: ConsumerRecord[bytes, bytes]) -> None:
        async def handle(body: bytes) -> None:
            await handlers.apply_opportunity_event(deps, opportunity_event_adapter.validate_json(body))

        while True:
            try:
                await guard.run(record, handle)
                return
            except Exception:  # retried by the guard's count, then dead-lettered
                continue

    return apply
