"""Redelivery and a broker that stops answering: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
from kafka import KafkaProducer

from shared.contracts import proposal_event_adapter
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, consumed_everything, eventually, read_topic
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e


async def test_the_same_ranking_delivered_twice_gives_one_email_and_one_set_of_proposals(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with smtp_server() as (mail, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
            profile = profile_payload()
            citizen_id = (await client.post("/v1/citizens", json=profile)).json()["citizen_id"]
            address = profile["personal"]["email"]

            async def first_ranking() -> dict | None:  # type: ignore[type-arg]
                body = (await client.get(f"/v1/citizens/{citizen_id}/proposals")).json()
                return body if body["status"] == "ready" else None

            first = await eventually(first_ranking, 30, "the first ranking")
            await eventually(lambda: asyncio.sleep(0, mail.to(address)), 30, "the first e-mail")

            # The same ranking event again, as a redelivery after a crash would bring it.
            raw = await _raw_match_proposed(infra, common, citizen_id)
            producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
            producer.send(common.topics.proposals, key=citizen_id.encode(), value=raw).get(timeout=10)
            producer.send(common.topics.proposals, key=citizen_id.encode(), value=raw).get(timeout=10)
            producer.close()

            async def both_redeliveries_consumed() -> bool:
                stats = await stack.notifier_stats()
                return bool(stats.get("processed", 0) >= 3 + 1)  # citizen event + 3 rankings

            await eventually(both_redeliveries_consumed, 30, "the notifier to consume the redeliveries")
            assert len(mail.to(address)) == 1
            again = (await client.get(f"/v1/citizens/{citizen_id}/proposals")).json()
            assert again == first


async def _raw_match_proposed(infra: InfraHandle, common: CommonSettings, citizen_id: str) -> bytes:
    for _key, value in read_topic(infra.kafka_bootstrap, common.topics.proposals):
        if proposal_event_adapter.validate_json(value).citizen_id == uuid.UUID(citizen_id):
            return value
    raise AssertionError("no ranking on the topic")


async def test_a_paused_broker_gives_503_in_bounded_time_and_the_retry_carries_on(
    infra: InfraHandle, common: CommonSettings
) -> None:
    if infra.local is None:
        pytest.skip("needs the local broker process to pause")
    async with (
        smtp_server() as (mail, smtp_port),
        running_stack(infra, common, smtp_port, publish_timeout_s=2.0) as stack,
    ):
        async with httpx.AsyncClient(base_url=stack.api, timeout=30, headers=bearer()) as client:
            r = await client.post("/v1/opportunities", json=opportunity_payload())
            assert r.status_code == 202
            profile = profile_payload()
            key = f"retry-{uuid.uuid4()}"

            infra.local.pause_broker()
            try:
                started = time.monotonic()
                r = await client.post("/v1/citizens", json=profile, headers={"Idempotency-Key": key})
                elapsed = time.monotonic() - started
                assert r.status_code == 503, r.text
                assert r.headers["Retry-After"]
                assert elapsed < 10, f"503 took {elapsed:.1f} s"
            finally:
                infra.local.resume_broker()

            async def accepted() -> dict | None:  # type: ignore[type-arg]
                response = await client.post("/v1/citizens", json=profile, headers={"Idempotency-Key": key})
                return response.json() if response.status_code == 202 else None

            body = await eventually(accepted, 60, "the broker to take the retried POST")
            citizen_id = body["citizen_id"]
            # The 503 may have gone out anyway: whatever reached the topic is the one event, under one id.
            sent = [
                json.loads(value)["event_id"]
                for key, value in read_topic(infra.kafka_bootstrap, common.topics.citizens)
                if key == citizen_id.encode()
            ]
            assert sent and set(sent) == {body["event_id"]}, sent

            async def ranked() -> bool:
                return bool((await client.get(f"/v1/citizens/{citizen_id}/proposals")).json()["status"] == "ready")

            await eventually(ranked, 60, "proposals after the broker came back")
            address = profile["personal"]["email"]
            await eventually(lambda: asyncio.sleep(0, mail.to(address)), 60, "the e-mail after the broker came back")
            topics = (common.topics.citizens, common.topics.proposals)
            await consumed_everything(stack.notifier, infra.kafka_bootstrap, *topics, timeout_s=60)
            assert len(mail.to(address)) == 1
