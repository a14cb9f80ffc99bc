"""Bounded waiting and raw topic reading for tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from kafka import KafkaConsumer, TopicPartition

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout_s: float = 30.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy, at most `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes]]:
    """Every record on a topic, from the beginning (kafka-python, no consumer group)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        consumer_timeout_ms=1000,
        session_timeout_ms=2000,
        heartbeat_interval_ms=300,
        request_timeout_ms=5000,
        fetch_max_wait_ms=100,
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        records: list[tuple[bytes | None, bytes]] = []
        deadline = time.monotonic() + 10
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend((r.key, r.value) for r in batch)
        return records
    finally:
        consumer.close()
