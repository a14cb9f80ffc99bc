"""A company sees the candidates proposed for its own opportunities by pseudonym only, never who they are,
and two companies' lists share no value that would let them link one person."""

from __future__ import annotations

import datetime as dt
import uuid
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
CASEWORKER = bearer("caseworker", "cw-316", "316", expires_in_s=24 * 3600)  # made at import: outlives a long suite


async def test_two_companies_lists_share_no_linkable_value_while_one_company_may_link_its_own_postings(
    infra: InfraHandle, common: CommonSettings
) -> None:
    first, second = bearer("company", FIRST), bearer("company", SECOND)
    services = ("intake", "matcher")
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, services=services) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10) as client:
            mine = await _register(client, first, FIRST, approve=True)
            mine_too = await _register(client, first, FIRST, approve=False)  # approved owner: straight in
            theirs = await _register(client, second, SECOND, approve=True)

            async def catalogue_loaded() -> bool:
                return bool((await stack.matcher_stats())["catalogue_size"] >= 3)

            await eventually(catalogue_loaded, 20, "the matcher to read the three opportunities")
            people = []
            for _ in range(2):
                profile = profile_payload()
                r = await client.post("/v1/citizens", json=profile, headers=CASEWORKER)
                assert r.status_code == 202, r.text
                people.append((r.json()["citizen_id"], profile))

            async def listed(opportunity: str, headers: dict[str, str]) -> list[dict[str, Any]] | None:
                r = await client.get(f"/v1/opportunities/{opportunity}/candidates", headers=headers)
                found: list[dict[str, Any]] = r.json()["candidates"]
                return found if len(found) == 2 else None

            lists = {
                "mine": await eventually(lambda: listed(mine, first), 30, "both citizens in the first list"),
                "mine_too": await eventually(lambda: listed(mine_too, first), 30, "both in the second posting"),
                "theirs": await eventually(lambda: listed(theirs, second), 30, "both in the other company's list"),
            }
            assert (await client.get(f"/v1/opportunities/{mine}/candidates", headers=second)).status_code == 404
            own = await client.get(f"/v1/citizens/{people[0][0]}/proposals", headers=bearer("citizen", people[0][0]))
            assert own.status_code == 200 and own.json()["status"] == "ready"
            assert (await client.get(f"/v1/citizens/{people[0][0]}/proposals", headers=first)).status_code == 403

    text = str(lists)
    for citizen_id, profile in people:
        for revealing in (citizen_id, profile["personal"]["name"], profile["personal"]["email"], "+45"):
            assert revealing not in text
    # One owner may link its own postings' candidates: the same two pseudonyms in both of its lists.
    assert {c["pseudonym"] for c in lists["mine"]} == {c["pseudonym"] for c in lists["mine_too"]}
    # Two owners cannot: no pseudonym in common, and no value that tells one person from the other
    # (the probe found the ranking's microsecond timestamp in every company's list).
    assert not {c["pseudonym"] for c in lists["mine"]} & {c["pseudonym"] for c in lists["theirs"]}
    for entry in [*lists["mine"], *lists["theirs"]]:
        week = dt.date.fromisoformat(entry["proposed_week_of"])
        assert week.weekday() == 0 and set(entry) == {
            "pseudonym",
            "rank",
            "danish_level",
            "matched_skills",
            "matched_previous_jobs",
            "commute_minutes",
            "proposed_week_of",
        }
        assert entry["commute_minutes"] is None or entry["commute_minutes"] % 5 == 0
    linking = {"pseudonym", "proposed_week_of"}
    for field in linking:
        in_mine = {c[field] for c in lists["mine"]}
        in_theirs = {c[field] for c in lists["theirs"]}
        # A value either appears in one list only, or is shared by every candidate (so it tells nobody apart).
        for value in in_mine & in_theirs:
            assert all(c[field] == value for c in [*lists["mine"], *lists["theirs"]]), (field, value)


async def _register(
    client: httpx.AsyncClient, headers: dict[str, str], cvr: str, *, approve: bool, **overrides: Any
) -> str:
    payload = opportunity_payload(
        owner={"type": "company", "cvr": cvr, "name": f"Firma {cvr} (test)"},
        title=f"Job {uuid.uuid4().hex[:4]}",
        **overrides,
    )
    r = await client.post("/v1/opportunities", json=payload, headers=headers)
    assert r.status_code == 202, r.text
    opportunity = str(r.json()["opportunity_id"])
    assert r.json()["status"] == ("awaiting_approval" if approve else "open")
    if approve:
        approval = await client.post(f"/v1/opportunities/{opportunity}/approval", headers=CASEWORKER)
        assert approval.status_code == 200, approval.text
    return opportunity


async def test_why_not_is_for_staff_only(infra: InfraHandle, common: CommonSettings) -> None:
    """The caseworker sees the job a missing certificate excluded; the citizen and the job's company never do."""
    first = bearer("company", FIRST)
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake", "matcher")) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        excluded = await _register(client, first, FIRST, approve=True, required_certificates=["forklift"])

        async def catalogue_loaded() -> bool:
            return bool((await stack.matcher_stats())["catalogue_size"] >= 1)

        await eventually(catalogue_loaded, 20, "the matcher to read the opportunity")
        r = await client.post("/v1/citizens", json=profile_payload(), headers=CASEWORKER)
        citizen_id = r.json()["citizen_id"]

        async def ranked() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=CASEWORKER)).json()
            return body if body["status"] == "ready" else None

        staff = await eventually(ranked, 30, "the ranking")
        assert [(m["opportunity_id"], m["rule"]) for m in staff["near_misses"]] == [(excluded, "missing_certificate")]
        own = await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=bearer("citizen", citizen_id))
        assert own.json()["near_misses"] == [] and excluded not in own.text
        company_view = (await client.get(f"/v1/opportunities/{excluded}/candidates", headers=first)).json()
        assert company_view["candidates"] == []
