"""A company sees the candidates proposed for its own opportunities by pseudonym only, never who they are."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, eventually
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e

FIRST, SECOND = "31313131", "42424242"


async def test_a_company_sees_pseudonymous_candidates_for_its_own_opportunity_and_nothing_of_anothers(
    infra: InfraHandle, common: CommonSettings
) -> None:
    caseworker = bearer("caseworker", "cw-316", "316")
    first, second = bearer("company", FIRST), bearer("company", SECOND)
    services = ("intake", "matcher")
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, services=services) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10) as client:
            mine = await _register(client, first, FIRST)
            theirs = await _register(client, second, SECOND)

            async def catalogue_loaded() -> bool:
                return bool((await stack.matcher_stats())["catalogue_size"] >= 2)

            await eventually(catalogue_loaded, 20, "the matcher to read both opportunities")
            profile = profile_payload()
            r = await client.post("/v1/citizens", json=profile, headers=caseworker)
            assert r.status_code == 202, r.text
            citizen_id = r.json()["citizen_id"]

            async def listed() -> dict[str, Any] | None:
                r = await client.get(f"/v1/opportunities/{mine}/candidates", headers=first)
                body: dict[str, Any] = r.json()
                return body if body["candidates"] else None

            view = await eventually(listed, 30, "the citizen to appear as a candidate")
            (candidate,) = view["candidates"]
            assert candidate["pseudonym"].startswith("c-") and candidate["rank"] >= 1
            assert candidate["danish_level"] == "A2" and "rengøring" in candidate["matched_skills"]
            text = str(view)
            for revealing in (citizen_id, profile["personal"]["name"], profile["personal"]["email"], "+45"):
                assert revealing not in text

            assert (await client.get(f"/v1/opportunities/{mine}/candidates", headers=second)).status_code == 404
            theirs_view = (await client.get(f"/v1/opportunities/{theirs}/candidates", headers=second)).json()
            (same_person,) = theirs_view["candidates"]
            assert same_person["pseudonym"] != candidate["pseudonym"]  # two companies cannot link one person

            own = await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=bearer("citizen", citizen_id))
            assert own.status_code == 200 and own.json()["status"] == "ready"
            other_company_on_citizen = await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=first)
            assert other_company_on_citizen.status_code == 403


async def _register(client: httpx.AsyncClient, headers: dict[str, str], cvr: str) -> str:
    payload = opportunity_payload(owner={"type": "company", "cvr": cvr, "name": f"Firma {cvr} (test)"})
    r = await client.post("/v1/opportunities", json=payload, headers=headers)
    assert r.status_code == 202 and r.json()["status"] == "awaiting_approval", r.text
    opportunity = str(r.json()["opportunity_id"])
    approval = await client.post(
        f"/v1/opportunities/{opportunity}/approval", headers=bearer("caseworker", "cw-316", "316")
    )
    assert approval.status_code == 200, approval.text
    return opportunity
