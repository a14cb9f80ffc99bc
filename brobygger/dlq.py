"""`brobygger dlq list|show|replay`: see what was dead-lettered, and send it back after a fix.

A replay re-reads the source record at its offset and publishes it again on its topic with two
headers: `replay-of` (the dead letter's id) and `replay-for` (the service that dead-lettered it).
Only that service acts on it, through its normal subscriber and guard, and records the outcome in
the replay ledger (`shared.deadletters`), which `list` shows. A replay is skipped when a newer
record with the same key follows the source record and was not itself dead-lettered (a replayed
old profile must not overwrite a newer one), and when the dead letter is already resolved, so
replaying twice changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from shared.contracts import DeadLetter
from shared.deadletters import RedisReplayLedger
from shared.records import REPLAY_FOR, REPLAY_OF
from shared.redis_client import redis_client
from shared.settings import CommonSettings, KafkaSettings, RedisSettings

_ORIGINAL = "original-"


@dataclass
class Letter:
    letter: DeadLetter
    headers: dict[str, str]
    outcome: dict[str, str] | None = None

    @property
    def original_headers(self) -> dict[str, str]:
        return {k[len(_ORIGINAL) :]: v for k, v in self.headers.items() if k.startswith(_ORIGINAL)}

    def line(self) -> str:
        d = self.letter
        state = self.outcome["status"] if self.outcome else "open"
        when = d.occurred_at.isoformat(timespec="seconds")
        where = f"{d.source_topic}/{d.source_partition}@{d.source_offset}"
        return f"{d.event_id}  {when}  {d.service:<8} {state:<13} {where}  {d.reason[:100]}"


def _consumer(kafka: KafkaSettings) -> KafkaConsumer:
    return KafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers.split(","),
        group_id=None,
        enable_auto_commit=False,
        session_timeout_ms=kafka.session_timeout_ms,
        heartbeat_interval_ms=kafka.heartbeat_interval_ms,
        request_timeout_ms=max(kafka.request_timeout_ms, kafka.session_timeout_ms + 1000),
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
        max_partition_fetch_bytes=kafka.max_record_bytes + 64 * 1024,
    )


def _read(consumer: KafkaConsumer, tp: TopicPartition, start: int, end: int) -> list[Any]:
    """Records of one partition from `start` up to (not including) `end`."""
    records: list[Any] = []
    if start >= end:
        return records
    consumer.assign([tp])
    consumer.seek(tp, start)
    deadline = time.monotonic() + 60
    while consumer.position(tp) < end:
        if time.monotonic() > deadline:
            raise RuntimeError(f"could not read {tp.topic}/{tp.partition} from {start} to {end} within 60 s")
        records.extend(r for r in consumer.poll(timeout_ms=1000).get(tp, []) if r.offset < end)
    return records


def read_letters(kafka: KafkaSettings, common: CommonSettings, outcomes: dict[str, dict[str, str]]) -> list[Letter]:
    """Every dead letter once (a dead letter sent twice after a crash has one id), oldest first."""
    consumer = _consumer(kafka)
    try:
        topic = common.topics.dead_letters
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        begin, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
        found: dict[str, Letter] = {}
        for tp in tps:
            for record in _read(consumer, tp, begin[tp], end[tp]):
                letter = DeadLetter.model_validate_json(record.value)
                headers = {k: (v or b"").decode("utf-8", "replace") for k, v in record.headers}
                found.setdefault(str(letter.event_id), Letter(letter, headers, outcomes.get(str(letter.event_id))))
        return sorted(found.values(), key=lambda item: item.letter.occurred_at)
    finally:
        consumer.close()


def _matches(item: Letter, args: argparse.Namespace) -> bool:
    d = item.letter
    if getattr(args, "service", None) and d.service != args.service:
        return False
    if getattr(args, "reason", None) and args.reason.lower() not in d.reason.lower():
        return False
    if getattr(args, "since", None) and d.occurred_at < _time(args.since):
        return False
    if getattr(args, "until", None) and d.occurred_at > _time(args.until):
        return False
    return not (getattr(args, "open", False) and item.outcome is not None)


def _time(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class Replayer:
    def __init__(self, kafka: KafkaSettings, letters: list[Letter]) -> None:
        self._kafka = kafka
        self._dead = {
            (i.letter.service, i.letter.source_topic, i.letter.source_partition, i.letter.source_offset)
            for i in letters
        }

    def replay(self, item: Letter, resolved: list[tuple[str, str, str]]) -> str:
        """Replay one dead letter; a skip is appended to `resolved` (id, status, detail) for the ledger."""
        d = item.letter
        if item.outcome is not None and item.outcome.get("status") in ("applied", "skipped"):
            return f"{d.event_id}: already resolved ({item.outcome['status']}); nothing to do"
        tp = TopicPartition(d.source_topic, d.source_partition)
        consumer = _consumer(self._kafka)
        try:
            first, end = consumer.beginning_offsets([tp])[tp], consumer.end_offsets([tp])[tp]
            if d.source_offset < first or d.source_offset >= end:
                return (
                    f"{d.event_id}: the source record {d.source_topic}/{d.source_partition}@{d.source_offset} "
                    f"is gone from the topic (retention deleted it; the topic now starts at {first}); not replayed"
                )
            later = _read(consumer, tp, d.source_offset, end)
        finally:
            consumer.close()
        source, newer = later[0], later[1:]
        for record in newer:
            applied = (d.service, d.source_topic, d.source_partition, record.offset) not in self._dead
            if record.key == source.key and applied:
                detail = f"a newer record for the same key (offset {record.offset}) was applied after it"
                resolved.append((str(d.event_id), "skipped", detail))
                return f"{d.event_id}: skipped: {detail}"
        headers = [(k, v.encode()) for k, v in item.original_headers.items() if k not in (REPLAY_OF, REPLAY_FOR)]
        headers += [(REPLAY_OF, str(d.event_id).encode()), (REPLAY_FOR, d.service.encode())]
        producer = KafkaProducer(
            bootstrap_servers=self._kafka.bootstrap_servers.split(","),
            acks="all",
            max_request_size=self._kafka.max_record_bytes + 64 * 1024,
        )
        try:
            sent = producer.send(d.source_topic, key=source.key, value=source.value, headers=headers).get(30)
        finally:
            producer.close()
        return f"{d.event_id}: replayed to {d.service} as {sent.topic}/{sent.partition}@{sent.offset}"


async def _record(redis: RedisSettings, common: CommonSettings, resolved: list[tuple[str, str, str]]) -> None:
    client = redis_client(redis)
    try:
        ledger = RedisReplayLedger(client, common.namespace)
        for dead_letter_id, status, detail in resolved:
            await ledger.record(dead_letter_id, status, detail)
    finally:
        await client.aclose()


async def _outcomes(redis: RedisSettings, common: CommonSettings) -> dict[str, dict[str, str]]:
    client = redis_client(redis)
    try:
        return await RedisReplayLedger(client, common.namespace).all()
    finally:
        await client.aclose()


def main(args: argparse.Namespace) -> int:
    kafka, redis, common = KafkaSettings(), RedisSettings(), CommonSettings()
    letters = read_letters(kafka, common, asyncio.run(_outcomes(redis, common)))
    chosen = [item for item in letters if _matches(item, args)]
    if args.action == "list":
        for item in chosen:
            print(item.line())
        print(f"{len(chosen)} dead letters ({sum(1 for i in chosen if i.outcome is None)} open)", file=sys.stderr)
        return 0
    wanted = getattr(args, "id", None)
    if wanted:
        chosen = [item for item in letters if str(item.letter.event_id) == wanted]
        if not chosen:
            print(f"error: no dead letter with id {wanted}", file=sys.stderr)
            return 1
    if args.action == "show":
        item = chosen[0]
        shown = {**item.letter.model_dump(mode="json"), "original_headers": item.original_headers}
        print(json.dumps({**shown, "outcome": item.outcome}, indent=2, ensure_ascii=False))
        return 0
    if not wanted and not args.all:
        print("error: say which dead letter to replay (an id), or --all", file=sys.stderr)
        return 2
    replayer = Replayer(kafka, letters)
    resolved: list[tuple[str, str, str]] = []
    try:
        for item in chosen:
            print(replayer.replay(item, resolved), flush=True)
    finally:
        if resolved:
            asyncio.run(_record(redis, common, resolved))
    return 0


def add_parser(sub: Any) -> None:
    dlq = sub.add_parser("dlq", help="list, show and replay dead letters (settings from the environment)")
    actions = dlq.add_subparsers(dest="action", required=True)
    for name, text in (
        ("list", "list dead letters and what became of their replays"),
        ("show", "show one dead letter"),
        ("replay", "replay one dead letter (an id) or all that match the filters (--all)"),
    ):
        action = actions.add_parser(name, help=text)
        if name != "list":
            action.add_argument("id", nargs="?" if name == "replay" else None, help="the dead letter's id")
        if name == "replay":
            action.add_argument("--all", action="store_true", help="every open dead letter that matches the filters")
        action.add_argument("--service", choices=("intake", "matcher", "notifier"), help="only this service's")
        action.add_argument("--reason", help="only those whose reason contains this text")
        action.add_argument("--since", help="only those dead-lettered at or after this time (ISO 8601)")
        action.add_argument("--until", help="only those dead-lettered at or before this time (ISO 8601)")
        action.add_argument("--open", action="store_true", help="only those not resolved yet")
        action.set_defaults(func=main)
