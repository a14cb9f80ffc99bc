"""A dead letter replayed for one service is left alone by every other service reading the same topic."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from kafka import KafkaProducer
from redis.asyncio import Redis

from brobygger.cli import main as cli
from shared.contracts import DeadLetter, MatchRequested
from shared.deadletters import RedisReplayLedger
from shared.records import REPLAY_FOR, REPLAY_OF
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.e2e.test_consumer_faults import _cli_environment
from tests.helpers import eventually

pytestmark = pytest.mark.e2e


async def test_intake_skips_a_replay_meant_for_the_notifier_and_records_no_outcome_for_it(
    infra: InfraHandle, common: CommonSettings
) -> None:
    # Intake and the notifier both read the proposals topic. If intake recorded "applied" for the
    # notifier's replay, the notifier would skip it as resolved and the e-mail would never go out.
    dead_letter_id = str(uuid.uuid4())
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, services=("intake",)) as stack:
        guard = stack.apps["intake"].state.guard
        producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
        headers = [(REPLAY_OF, dead_letter_id.encode()), (REPLAY_FOR, b"notifier")]
        producer.send(common.topics.proposals, key=b"k", value=b"{}", headers=headers).get(30)
        producer.close()

        async def skipped() -> bool:
            return guard.counters["skipped"] >= 1

        await eventually(skipped, 30, "intake to pass over the notifier's replay")
        redis = Redis.from_url(infra.redis_url)
        try:
            outcome = await RedisReplayLedger(redis, common.namespace).outcome(dead_letter_id)
        finally:
            await redis.aclose()
    assert outcome is None
    assert guard.counters["processed"] == 0 and guard.counters["dead_lettered"] == 0


async def test_dlq_replays_a_record_that_sits_in_the_last_multi_record_batch_of_its_partition(
    infra: InfraHandle, common: CommonSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The local broker reports a partition's end as the base offset of its last batch + 1; a record
    # inside that batch must not be reported as "gone from the topic" (nor its dead letter unlisted).
    _cli_environment(infra, common, monkeypatch)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all", linger_ms=0)
    await producer.start()
    try:
        value = MatchRequested(correlation_id="batch-test", citizen_id=uuid.uuid4()).model_dump_json().encode()
        await producer.send_and_wait(common.topics.citizens, value, key=b"k", partition=0)
        sent = [await producer.send(common.topics.citizens, value, key=b"k", partition=0) for _ in range(5)]
        last = (await sent[-1]).offset
        letter = DeadLetter(
            correlation_id="batch-test",
            service="matcher",
            source_topic=common.topics.citizens,
            source_partition=0,
            source_offset=last,
            key="k",
            reason="test: a record in the last batch",
            payload_size=len(value),
        )
        await producer.send_and_wait(common.topics.dead_letters, letter.model_dump_json().encode(), key=b"k")
    finally:
        await producer.stop()

    assert await asyncio.to_thread(cli, ["dlq", "list"]) == 0
    assert str(letter.event_id) in capsys.readouterr().out
    assert await asyncio.to_thread(cli, ["dlq", "replay", str(letter.event_id)]) == 0
    out = capsys.readouterr().out
    assert "replayed to matcher" in out, out
