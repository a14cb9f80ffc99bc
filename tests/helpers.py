"""Bounded waiting, raw topic reading and bearer tokens for tests."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import jwt
from kafka import KafkaConsumer, TopicPartition

from brobygger.infra import end_offsets
from services.intake.config import DEFAULT_JWT_AUDIENCE, LOCAL_JWT_ISSUER, LOCAL_JWT_SECRET
from shared.contracts import MatchRequested
from shared.settings import LOCAL_INTERNAL_TOKEN

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
        end = end_offsets(consumer, tps)
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list[tuple[bytes | None, bytes]] = []
        deadline = time.monotonic() + 10
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend((r.key, r.value) for r in batch)
        return records
    finally:
        consumer.close()


def record_count(bootstrap: str, *topics: str) -> int:
    """How many records the topics hold now (the sum of their partitions' end offsets)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, request_timeout_ms=5000
    )
    try:
        tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or set()]
        return sum(end_offsets(consumer, tps).values())
    finally:
        consumer.close()


async def consumed_everything(service_url: str, bootstrap: str, *topics: str, timeout_s: float = 30.0) -> int:
    """Wait until a stream service's own counters account for every record now on `topics`.

    What a test checks after this ("exactly one e-mail") cannot change by waiting longer: nothing
    more is on its way. Returns the number of records.
    """
    expected = await asyncio.to_thread(record_count, bootstrap, *topics)

    async def caught_up() -> bool:
        async with httpx.AsyncClient(timeout=5) as client:
            # The services' internal port serves stats to the internal token only (the tests use the local one).
            internal = {"X-Internal-Token": LOCAL_INTERNAL_TOKEN}
            stats = (await client.get(f"{service_url}/stats", headers=internal)).json()
        return int(stats.get("processed", 0)) + int(stats.get("dead_lettered", 0)) >= expected

    await eventually(caught_up, timeout_s, f"{service_url} to consume all {expected} records on {', '.join(topics)}")
    return expected


def token(
    role: str = "admin",
    subject: str = "test-admin",
    municipality: str | None = None,
    *,
    expires_in_s: int = 6 * 3600,  # module-level tokens are made at collection and must outlive the suite
    secret: str = LOCAL_JWT_SECRET,
    audience: str = DEFAULT_JWT_AUDIENCE,
    issuer: str = LOCAL_JWT_ISSUER,
    **extra: Any,
) -> str:
    """A bearer token like the local intake's; every part can be made wrong on purpose."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "role": role,
        "iat": now,
        "exp": now + expires_in_s,
        **extra,
    }
    if municipality is not None:
        claims["municipality"] = municipality
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer(
    role: str = "admin", subject: str = "test-admin", municipality: str | None = None, **kw: Any
) -> dict[str, str]:
    """`Authorization` header for `token(...)`."""
    return {"Authorization": f"Bearer {token(role, subject, municipality, **kw)}"}


def poison_records(limit: int) -> dict[str, bytes]:
    """Five records no consumer can ever process, one of each kind a consumer must dead-letter at once."""
    newer = MatchRequested(correlation_id="poison-version", citizen_id=uuid.uuid4()).model_dump(mode="json")
    newer["schema_version"] = 2
    return {
        "not JSON": b"\x00\x01 this is not json",
        "wrong schema": json.dumps({"event_type": "CitizenErased", "citizen": "nobody"}).encode(),
        "unknown schema version": json.dumps(newer).encode(),
        "deeply nested": b"[" * 200_000,
        "just over the limit": b'{"pad": "' + b"x" * (limit - 10) + b'"}',
    }


async def proposals_ready(client: httpx.AsyncClient, citizen_id: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """The citizen's proposals once the first ranking is in, else None: a probe for `eventually`."""
    body: dict[str, Any] = (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=headers)).json()
    return body if body["status"] == "ready" else None
