"""Reads the whole opportunity topic, outside any consumer group, into the in-memory catalogue.

Every matcher instance does this, so every instance ranks against the full catalogue. The
instance is ready once it has replayed the topic up to the end offsets seen at start-up.

This is the one consumer FastStream cannot express (a group-less reader assigned every partition,
seeking to the beginning at each start, whose readiness is "caught up with the end offsets seen at
start"), so it is a plain aiokafka consumer and is absent from the generated AsyncAPI document;
`brobygger schema --asyncapi` adds it as the `matcher.catalogue` receive operation. Its records go
through the same guard as every other: a bad one is dead-lettered, one that waits on Redis pauses its
partition and is retried with backoff. No offsets are committed: every start replays the topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from faststream.kafka.security import parse_security

from shared import background
from shared.messaging import kafka_security
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)

#: Applies one record; False when its partition was paused to retry it later (skip the rest of the batch).
Apply = Callable[[AIOKafkaConsumer, ConsumerRecord[bytes, bytes]], Awaitable[bool]]


class CatalogueFollower:
    def __init__(self, kafka: KafkaSettings, topic: str, apply: Apply, client_id: str) -> None:
        self._kafka = kafka
        self._topic = topic
        self._apply = apply
        self._client_id = client_id
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.records_applied = 0

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._kafka.bootstrap_servers.split(","),
            client_id=self._client_id,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=self._kafka.fetch_max_wait_ms,
            request_timeout_ms=max(self._kafka.request_timeout_ms, 10_000) + 5_000,
            max_partition_fetch_bytes=self._kafka.max_record_bytes + 64 * 1024,
            **parse_security(kafka_security(self._kafka)),
        )
        await consumer.start()
        self._consumer = consumer
        await consumer.topics()  # loads metadata for every topic
        partitions = consumer.partitions_for_topic(self._topic)
        if not partitions:
            await consumer.stop()
            raise RuntimeError(f"topic {self._topic!r} does not exist; create the topics first")
        tps = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        self._task = asyncio.create_task(self._follow(consumer, end), name="catalogue-follower")

    async def _follow(self, consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> None:
        pending = {tp: off for tp, off in end.items() if off > 0}
        if not pending:
            self.ready.set()
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=2000)
            for records in batches.values():
                for record in records:
                    if not await self._apply(consumer, record):
                        break  # the partition is paused; this record comes again after the backoff
                    self.records_applied += 1
            if not self.ready.is_set():
                for tp in list(pending):
                    if await consumer.position(tp) >= pending[tp]:
                        del pending[tp]
                if not pending:
                    log.info("catalogue replayed: %d records", self.records_applied)
                    self.ready.set()

    @property
    def consumer(self) -> AIOKafkaConsumer | None:
        return self._consumer

    def failed(self) -> BaseException | None:
        if self._task is not None and self._task.done() and not self._task.cancelled():
            return self._task.exception()
        return None

    async def stop(self) -> None:
        await background.stop(self._task)
        if self._consumer is not None:
            await self._consumer.stop()
