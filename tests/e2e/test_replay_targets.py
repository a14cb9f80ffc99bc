"""A dead letter replayed for one service is left alone by every other service reading the same topic."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaProducer
from redis.asyncio import Redis

from shared.deadletters import RedisReplayLedger
from shared.records import REPLAY_FOR, REPLAY_OF
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
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
