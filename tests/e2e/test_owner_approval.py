"""A company the municipality has not seen before cannot reach citizens until a caseworker approves it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, eventually, read_topic
from tests.samples import opportunity_payload

pytestmark = pytest.mark.e2e


async def test_a_new_owners_opportunity_waits_for_a_caseworkers_approval_before_it_can_be_proposed(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr = f"{uuid.uuid4().int % 10**8:08d}"
    company = bearer("company", cvr)
    caseworker, elsewhere = bearer("caseworker", "cw-316", "316"), bearer("caseworker", "cw-101", "101")
    payload = opportunity_payload(
        owner={"type": "company", "cvr": cvr, "name": "Jobcentret Holbæk"}, title="LOG IND: http://evil.example"
    )
    services = ("intake", "matcher")
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, services=services) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10) as client:
            r = await client.post("/v1/opportunities", json=payload, headers=company)
            assert r.status_code == 202, r.text
            assert r.json()["status"] == "awaiting_approval"
            held = r.json()["opportunity_id"]
            # A staff registration goes straight in; once the matcher has it, the held one is known not to be there.
            r = await client.post("/v1/opportunities", json=opportunity_payload(), headers=caseworker)
            assert r.status_code == 202 and r.json()["status"] == "open", r.text

            async def staff_one_read() -> bool:
                return bool((await stack.matcher_stats())["catalogue_size"] >= 1)

            await eventually(staff_one_read, 20, "the matcher to read the caseworker's opportunity")
            assert (await stack.matcher_stats())["catalogue_size"] == 1
            keys = [k for k, _ in read_topic(infra.kafka_bootstrap, common.topics.opportunities)]
            assert held.encode() not in keys, "a held opportunity must not reach the topic"

            listed = (await client.get("/v1/opportunities/awaiting-approval", headers=caseworker)).json()
            assert [o["opportunity_id"] for o in listed["opportunities"]] == [held]
            other = (await client.get("/v1/opportunities/awaiting-approval", headers=elsewhere)).json()
            assert other["opportunities"] == []
            assert (await client.post(f"/v1/opportunities/{held}/approval", headers=company)).status_code == 403
            assert (await client.post(f"/v1/opportunities/{held}/approval", headers=elsewhere)).status_code == 404

            r = await client.post(f"/v1/opportunities/{held}/approval", headers=caseworker)
            assert r.status_code == 200 and r.json()["status"] == "open", r.text

            async def both_read() -> bool:
                return bool((await stack.matcher_stats())["catalogue_size"] >= 2)

            await eventually(both_read, 20, "the approved opportunity in the matcher's catalogue")
            # The owner is approved now: its next posting goes straight in.
            r = await client.post("/v1/opportunities", json={**payload, "title": "Kok"}, headers=company)
            assert r.status_code == 202 and r.json()["status"] == "open", r.text
            listed = (await client.get("/v1/opportunities/awaiting-approval", headers=caseworker)).json()
            assert listed["opportunities"] == []
