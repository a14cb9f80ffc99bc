"""Through the real broker, Redis, SMTP and HTTP: a profile in, proposals and one e-mail out."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, consumed_everything, eventually
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e


async def _register_catalogue(client: httpx.AsyncClient, stack_stats, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    ids = []
    for i in range(n):
        r = await client.post("/v1/opportunities", json=opportunity_payload(title=f"Rengøringsassistent {i}"))
        assert r.status_code == 202, r.text
        ids.append(r.json()["opportunity_id"])

    async def catalogue_loaded() -> bool:
        return bool((await stack_stats())["catalogue_size"] >= n)

    await eventually(catalogue_loaded, 20, "the matcher to read the catalogue")
    return ids


async def test_a_new_profile_gets_ranked_proposals_and_exactly_one_email(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with smtp_server() as (mail, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
            opportunity_ids = await _register_catalogue(client, stack.matcher_stats, 3)
            profile = profile_payload()
            r = await client.post("/v1/citizens", json=profile)
            assert r.status_code == 202, r.text
            citizen_id = r.json()["citizen_id"]
            assert r.json()["event_id"]

            async def proposals() -> dict | None:  # type: ignore[type-arg]
                body = (await client.get(f"/v1/citizens/{citizen_id}/proposals")).json()
                return body if body["status"] == "ready" else None

            ranked = await eventually(proposals, 30, "proposals")
            assert {p["opportunity_id"] for p in ranked["proposals"]} == set(opportunity_ids)
            first = ranked["proposals"][0]
            assert first["reasons"]["text_da"] and first["reasons"]["text_en"]
            assert first["reasons"]["commute_minutes"] is not None

            address = profile["personal"]["email"]
            await eventually(lambda: asyncio.sleep(0, mail.to(address)), 30, "the e-mail")
            # A duplicate could only come from a record the notifier has not consumed yet: wait for all of them.
            topics = (common.topics.citizens, common.topics.proposals)
            await consumed_everything(stack.notifier, infra.kafka_bootstrap, *topics)
            messages = mail.to(address)
            assert len(messages) == 1
            payload = messages[0].get_payload(decode=True)
            assert isinstance(payload, bytes)
            body = payload.decode()
            assert "Hej" in body and "English" in body
            assert "This service uses the ESCO classification of the European Commission." in body
            assert messages[0]["Message-ID"] == f"<{ranked['match_event_id']}@brobygger.local>"


async def test_proposals_answer_404_for_an_unknown_citizen_and_empty_before_ranking(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, services=("intake",)) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
            r = await client.get(f"/v1/citizens/{uuid.uuid4()}/proposals")
            assert r.status_code == 404
            r = await client.post("/v1/citizens", json=profile_payload())
            citizen_id = r.json()["citizen_id"]
            r = await client.get(f"/v1/citizens/{citizen_id}/proposals")
            assert r.status_code == 200
            assert r.json()["proposals"] == [] and r.json()["status"] == "pending"
