"""Messages that cannot be processed go to the dead-letter topic with the reason; the rest carry on."""

from __future__ import annotations

import pytest
from kafka import KafkaProducer

from shared.contracts import DeadLetter
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import eventually, read_topic

pytestmark = pytest.mark.e2e


async def test_malformed_records_are_dead_lettered_with_the_field_and_the_service_keeps_going(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port) as stack:
        producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
        producer.send(common.topics.opportunities, key=b"x", value=b'{"event_type": "OpportunityRegistered"}').get(10)
        producer.send(common.topics.proposals, key=b"y", value=b"not json at all").get(10)
        producer.send(common.topics.citizens, key=b"z", value=b'{"event_type": "Nonsense"}').get(10)
        producer.close()

        async def letters() -> list[DeadLetter] | None:
            found = [
                DeadLetter.model_validate_json(v)
                for _, v in read_topic(infra.kafka_bootstrap, common.topics.dead_letters)
            ]
            # matcher: opportunity + citizen; notifier: citizen + proposal; intake: proposal
            return found if len(found) >= 5 else None

        found = await eventually(letters, 30, "five dead letters")
        by_source = {(d.service, d.source_topic): d for d in found}
        opportunity = by_source[("matcher", common.topics.opportunities)]
        assert (
            "field `OpportunityRegistered.opportunity_id`" in opportunity.reason
            or "opportunity_id" in opportunity.reason
        )
        assert "invalid message" in by_source[("intake", common.topics.proposals)].reason
        assert ("notifier", common.topics.citizens) in by_source
        assert all(d.key in {"x", "y", "z"} and d.payload_size > 0 for d in found)

        # The letters of other services may come first: wait on the matcher's own counter.
        async def matcher_letters() -> int | None:
            count = int((await stack.matcher_stats())["dead_lettered"])
            return count if count >= 2 else None

        assert await eventually(matcher_letters, 30, "the matcher's two dead letters") == 2
