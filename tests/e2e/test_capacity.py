"""Capacity through the pipeline: a full place is not proposed again until a proposal is declined."""

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


async def test_a_declined_proposal_frees_its_place_for_the_next_citizen(
    infra: InfraHandle, common: CommonSettings
) -> None:
    caseworker, admin = bearer("caseworker", "cw-cap", "316"), bearer("admin", "admin-cap")
    one_place = {"capacity_per_place": 1}
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, matcher=one_place) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10) as client:
            r = await client.post("/v1/opportunities", json=opportunity_payload(capacity=1), headers=admin)
            opportunity_id = r.json()["opportunity_id"]

            async def catalogue() -> bool:
                return bool((await stack.matcher_stats())["catalogue_size"] >= 1)

            await eventually(catalogue, 20, "the catalogue")

            async def ranked(citizen_id: str) -> dict[str, Any]:
                async def ready() -> dict[str, Any] | None:
                    body = (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=caseworker)).json()
                    return body if body["status"] == "ready" else None

                return await eventually(ready, 30, f"a ranking for {citizen_id}")

            first = (await client.post("/v1/citizens", json=profile_payload(), headers=caseworker)).json()["citizen_id"]
            first_ranking = await ranked(first)
            assert [p["opportunity_id"] for p in first_ranking["proposals"]] == [opportunity_id]

            second = (await client.post("/v1/citizens", json=profile_payload(), headers=caseworker)).json()[
                "citizen_id"
            ]
            second_ranking = await ranked(second)
            assert second_ranking["proposals"] == []  # the one place already has its open proposal

            proposal_id = first_ranking["proposals"][0]["proposal_id"]
            r = await client.post(
                f"/v1/citizens/{first}/proposals/{proposal_id}/decision",
                json={"decision": "override", "reason": "Borgeren har fået andet arbejde."},
                headers=caseworker,
            )
            assert r.status_code == 200, r.text

            async def rerank_second() -> list[str] | None:
                # The decline and the new match request travel on different citizens' keys; ask until it is seen.
                assert (await client.post(f"/v1/citizens/{second}/match", headers=caseworker)).status_code == 202

                async def new_ranking() -> dict[str, Any] | None:
                    body = (await client.get(f"/v1/citizens/{second}/proposals", headers=caseworker)).json()
                    return body if body["match_event_id"] != second_ranking["match_event_id"] else None

                body = await eventually(new_ranking, 30, "the second citizen's new ranking")
                second_ranking["match_event_id"] = body["match_event_id"]
                ids = [p["opportunity_id"] for p in body["proposals"]]
                return ids or None

            assert await eventually(rerank_second, 40, "the freed place to be proposed") == [opportunity_id]
