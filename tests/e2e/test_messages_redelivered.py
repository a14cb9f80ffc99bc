"""Effectively once, as the receiver sees it: the very same lifecycle records published again onto the real
citizens topic (kafka-python, same bytes, same event_id) tell the citizen and the owner nothing new.

The notifier's own counters say when it has seen every copy (`duplicates_skipped`) and when a sweep has
run since (`sweeps`), so "nothing more arrived" is checked after the notifier could have sent it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer

from shared.contracts import SealedProposalTransitioned
from shared.messaging import event_headers
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import Stack, running_stack, smtp_server
from tests.e2e.test_lifecycle import World
from tests.e2e.test_messages import MESSAGES, Receiver, _cvr, _job, receiving, register_webhook
from tests.e2e.test_messages import _catalogue as catalogue_ready
from tests.helpers import bearer, eventually, read_topic

pytestmark = pytest.mark.e2e

Record = tuple[bytes | None, bytes, list[tuple[str, bytes]]]


def _transitions(bootstrap: str, topic: str, proposal_id: str) -> dict[str, Record]:
    """The raw records of one proposal's lifecycle steps on `topic`, by target state, each with the
    headers every service publishes with (`shared.messaging.event_headers`)."""
    found: dict[str, Record] = {}
    for key, value in read_topic(bootstrap, topic):
        body = json.loads(value)
        if body.get("event_type") == "SealedProposalTransitioned" and body["proposal_id"] == proposal_id:
            headers = event_headers(SealedProposalTransitioned.model_validate(body))
            found[body["to_state"]] = (key, value, [(k, v.encode()) for k, v in headers.items()])
    return found


def _publish_again(bootstrap: str, topic: str, record: Record, times: int) -> None:
    """The same record, byte for byte with its type and correlation headers, `times` more (acks=all)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        key, value, headers = record
        for _ in range(times):
            producer.send(topic, key=key, value=value, headers=headers).get(timeout=10)
    finally:
        producer.close()


async def _duplicates_seen(stack: Stack, at_least: int) -> int:
    """Wait until the notifier has skipped `at_least` duplicates, then for two more sweeps: whatever a
    duplicate could have scheduled would have been sent by then. The sweep count it waited for."""

    async def skipped() -> int | None:
        stats = await stack.notifier_stats()
        return int(stats["messages_sweeps"]) if stats.get("messages_duplicates_skipped", 0) >= at_least else None

    sweeps = await eventually(skipped, 30, f"the notifier to skip {at_least} duplicate(s)")

    async def swept() -> bool:
        return bool((await stack.notifier_stats())["messages_sweeps"] >= sweeps + 2)

    await eventually(swept, 10, "two sweeps after the duplicates")
    stats = await stack.notifier_stats()
    assert stats["messages_duplicates_skipped"] == at_least, "every copy was recognised, no more"
    return sweeps


async def test_the_same_approval_and_the_same_yes_delivered_again_tell_the_citizen_and_the_owner_once(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr, receiver = _cvr(), Receiver()
    # A quiet period after the approval, so the first copies arrive while the proposal waits for its digest.
    settings: dict[str, Any] = {**MESSAGES, "digest_quiet_s": 3.0}
    async with (
        smtp_server() as (mail, smtp_port),
        receiving(receiver) as receiver_port,
        running_stack(infra, common, smtp_port, notifier=settings) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        w = World(client, stack, mail)
        await register_webhook(client, cvr, receiver, receiver_port)
        owner_email = f"hr-{cvr}@example.dk"
        owner = {"type": "company", "cvr": cvr, "name": "Én Gang ApS (demo)", "contact_email": owner_email}
        assert (await client.post("/v1/opportunities", json={**_job(), "owner": owner}, headers=w.admin)).is_success
        await eventually(lambda: catalogue_ready(stack), 20, "the catalogue")
        citizen_id, address = await w.citizen()
        proposal_id = (await w.first_proposal(citizen_id))["proposal_id"]
        decision = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
        assert (await w.step(decision, w.caseworker, {"decision": "approve"})).status_code == 200

        topic, bootstrap = common.topics.citizens, infra.kafka_bootstrap

        async def approval_published() -> dict[str, Record] | None:
            found = await asyncio.to_thread(_transitions, bootstrap, topic, proposal_id)
            return found if "approved" in found else None

        steps = await eventually(approval_published, 10, "the approval on the topic")
        # Twice more while the proposal waits for its digest: the citizen's digest carries it once.
        await asyncio.to_thread(_publish_again, bootstrap, topic, steps["approved"], 2)
        await _duplicates_seen(stack, 2)
        await w.state_of(proposal_id, "offered")
        [digest] = mail.to(address)

        r = await w.step(f"/v1/proposals/{proposal_id}/answer", bearer("citizen", citizen_id), {"answer": "accept"})
        assert r.json()["state"] == "shared", r.text
        await eventually(lambda: asyncio.sleep(0, mail.to(owner_email)), 20, "the owner's e-mail")
        await eventually(lambda: asyncio.sleep(0, receiver.seen), 20, "the owner's webhook")

        # After everything went out: the yes twice more, and the approval once more (a digest carried it).
        steps = await asyncio.to_thread(_transitions, bootstrap, topic, proposal_id)
        await asyncio.to_thread(_publish_again, bootstrap, topic, steps["shared"], 2)
        await asyncio.to_thread(_publish_again, bootstrap, topic, steps["approved"], 1)
        await _duplicates_seen(stack, 5)

        assert mail.to(address) == [digest], "one digest for the citizen"
        assert len(mail.to(owner_email)) == 1, "one e-mail for the owner"
        assert [s["answered"] for s in receiver.seen] == [200] and receiver.seen[0]["valid"], "one signed webhook"
        stats = await stack.notifier_stats()
        assert stats["messages_emails_sent"] == 2 and stats.get("messages_emails_resent", 0) == 0
        assert stats["messages_webhooks_delivered"] == 1
