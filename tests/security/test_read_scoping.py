"""Lists are scoped, not just refused: a caseload holds one municipality, a company lists only its own."""

from __future__ import annotations

import httpx
import pytest

from tests.security.world import World

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def _ids(client: httpx.AsyncClient, path: str, headers: dict[str, str], key: str, field: str) -> set[str]:
    r = await client.get(path, headers=headers, params={"per_page": 200})
    assert r.status_code == 200, r.text
    return {row[field] for row in r.json()[key]}


async def test_a_caseload_holds_only_the_caseworkers_own_municipality(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.api, timeout=10) as client:
        home = await _ids(client, "/v1/citizens", world.headers("caseworker_home"), "citizens", "citizen_id")
        away = await _ids(client, "/v1/citizens", world.headers("caseworker_away"), "citizens", "citizen_id")
        # A caseworker cannot widen the list by naming another municipality.
        r = await client.get("/v1/citizens", params={"municipality": "101"}, headers=world.headers("caseworker_home"))
        widened = {row["citizen_id"] for row in r.json()["citizens"]}
    assert world.citizen in home and world.other_citizen not in home
    assert world.other_citizen in away and world.citizen not in away
    assert world.other_citizen not in widened


async def test_a_company_or_association_lists_only_its_own_opportunities(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.api, timeout=10) as client:
        owner = await _ids(
            client, "/v1/opportunities", world.headers("company_owner"), "opportunities", "opportunity_id"
        )
        other = await _ids(
            client, "/v1/opportunities", world.headers("company_other"), "opportunities", "opportunity_id"
        )
        assoc = await _ids(
            client, "/v1/opportunities", world.headers("association_other"), "opportunities", "opportunity_id"
        )
        away = await _ids(
            client, "/v1/opportunities", world.headers("caseworker_away"), "opportunities", "opportunity_id"
        )
    assert world.opportunity in owner and world.association_opportunity not in owner
    assert not other & {world.opportunity, world.association_opportunity}
    assert not assoc & {world.opportunity, world.association_opportunity}
    assert not away & {world.opportunity, world.association_opportunity}
