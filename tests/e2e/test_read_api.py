"""The read API over a real broker and Redis: caseload search, a profile read back, the catalogue, ESCO suggestions."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from redis import Redis

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, eventually
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e

CASEWORKER = bearer("caseworker", "cw-read", "316")
ADMIN = bearer("admin", "admin-read")


def _person(name: str) -> dict[str, Any]:
    return profile_payload(personal={"name": name, "email": f"{uuid.uuid4().hex[:8]}@example.org"})


async def _register(client: httpx.AsyncClient, api: str, payload: dict[str, Any]) -> str:
    r = await client.post(f"{api}/v1/citizens", json=payload, headers=CASEWORKER)
    assert r.status_code == 202, r.text
    return str(r.json()["citizen_id"])


async def _caseload(client: httpx.AsyncClient, api: str, **params: Any) -> dict[str, Any]:
    r = await client.get(f"{api}/v1/citizens", params=params, headers=CASEWORKER)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_caseworker_finds_citizens_by_name_and_reads_a_profile_back_while_names_stay_sealed_at_rest(
    infra: InfraHandle, common: CommonSettings
) -> None:
    tag = uuid.uuid4().hex[:6]
    names = [f"Amina Hassan{tag}", f"Amir Haddad{tag}", f"Olena Kovalenko{tag}"]
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake",)) as stack,
        httpx.AsyncClient(timeout=10) as client,
    ):
        ids = [await _register(client, stack.api, _person(n)) for n in names]

        async def all_listed() -> dict[str, Any] | None:
            body = await _caseload(client, stack.api, per_page=2, sort="name")
            return body if body["total"] == 3 else None

        first = await eventually(all_listed, 30, "the caseload to hold three citizens")
        assert [c["name"] for c in first["citizens"]] == names[:2]  # by name, a page of two
        assert first["pages"] == 2
        second = await _caseload(client, stack.api, per_page=2, sort="name", page=2)
        assert [c["name"] for c in second["citizens"]] == [names[2]]

        found = await _caseload(client, stack.api, q=f"am hassan{tag}")
        assert [c["citizen_id"] for c in found["citizens"]] == [ids[0]]
        assert found["citizens"][0]["status"] == "awaiting_ranking"
        assert (await _caseload(client, stack.api, q="nobody-by-this-name"))["total"] == 0

        r = await client.get(f"{stack.api}/v1/citizens/{ids[2]}", headers=CASEWORKER)
        assert r.status_code == 200, r.text
        assert r.json()["profile"]["personal"]["name"] == names[2]
        assert r.json()["profile"]["danish"]["level"] == "A2"

        audit = await client.get(f"{stack.api}/v1/audit", params={"citizen_id": ids[2]}, headers=ADMIN)
        resources = {(e["action"], e["resource"]) for e in audit.json()["entries"]}
        assert ("read", "profile") in resources

        # At rest, no Redis value holds a name in clear.
        redis = Redis.from_url(infra.redis_url)
        try:
            for key in redis.scan_iter(match=f"{common.namespace}*", count=1000):
                value = redis.dump(key) or b""
                assert not any(n.encode() in value for n in names), key
        finally:
            redis.close()


async def test_the_caseload_shows_who_has_proposals_waiting_once_the_matcher_has_ranked(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake", "matcher")) as stack,
        httpx.AsyncClient(timeout=10) as client,
    ):
        r = await client.post(f"{stack.api}/v1/opportunities", json=opportunity_payload(), headers=ADMIN)
        assert r.status_code == 202, r.text
        citizen = await _register(client, stack.api, _person("Farah Nouri"))

        async def waiting() -> dict[str, Any] | None:
            body = await _caseload(client, stack.api, waiting=True)
            return body if body["total"] == 1 else None

        body = await eventually(waiting, 60, "the citizen to have proposals waiting")
        row = body["citizens"][0]
        assert row["citizen_id"] == citizen
        assert row["status"] == "proposals_waiting"
        assert row["proposals_waiting"] >= 1
        assert (await _caseload(client, stack.api, status="awaiting_ranking"))["total"] == 0


async def test_the_catalogue_filters_and_a_company_lists_only_its_own(
    infra: InfraHandle, common: CommonSettings
) -> None:
    mine = {"type": "company", "cvr": "31313131", "name": "Egen Virksomhed (test)"}
    theirs = {"type": "company", "cvr": "42424242", "name": "Anden Virksomhed (test)"}
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake",)) as stack,
        httpx.AsyncClient(timeout=10) as client,
    ):
        payloads = [
            opportunity_payload(owner=mine, title="Lagermedarbejder"),
            opportunity_payload(
                owner=mine,
                title="Kok",
                location={"town": "Tølløse", "postcode": "4340", "point": {"lat": 55.61, "lon": 11.77}},
            ),
            opportunity_payload(owner=theirs, title="Chauffør"),
        ]
        ids = []
        for payload in payloads:
            r = await client.post(f"{stack.api}/v1/opportunities", json=payload, headers=ADMIN)
            assert r.status_code == 202, r.text
            ids.append(r.json()["opportunity_id"])
        company = bearer("company", "31313131")

        async def all_read() -> bool:  # intake reads the catalogue off the topic: all three, not only hers
            r = await client.get(f"{stack.api}/v1/opportunities", headers=CASEWORKER)
            return set(ids) <= {o["opportunity_id"] for o in r.json()["opportunities"]}

        await eventually(all_read, 30, "intake to read the three opportunities")

        async def own() -> list[dict[str, Any]] | None:
            r = await client.get(f"{stack.api}/v1/opportunities", headers=company)
            assert r.status_code == 200, r.text
            found: list[dict[str, Any]] = r.json()["opportunities"]
            return found if len(found) == 2 else None

        listed = await eventually(own, 30, "the company's two opportunities")
        assert {o["opportunity_id"] for o in listed} == set(ids[:2])

        town = await client.get(f"{stack.api}/v1/opportunities", params={"town": "tølløse"}, headers=CASEWORKER)
        assert [o["opportunity_id"] for o in town.json()["opportunities"]] == [ids[1]]
        text = await client.get(f"{stack.api}/v1/opportunities", params={"q": "chauff"}, headers=CASEWORKER)
        assert [o["opportunity_id"] for o in text.json()["opportunities"]] == [ids[2]]

        assert (await client.get(f"{stack.api}/v1/opportunities/{ids[0]}", headers=company)).status_code == 200
        assert (await client.get(f"{stack.api}/v1/opportunities/{ids[2]}", headers=company)).status_code == 404

        r = await client.delete(f"{stack.api}/v1/opportunities/{ids[0]}", headers=company)
        assert r.status_code == 202

        async def withdrawn() -> bool:
            r = await client.get(f"{stack.api}/v1/opportunities", params={"open": "false"}, headers=company)
            states = {o["opportunity_id"]: o["status"] for o in r.json()["opportunities"]}
            return states.get(ids[0]) == "withdrawn"

        await eventually(withdrawn, 30, "the withdrawal to reach the catalogue")
        open_now = await client.get(f"{stack.api}/v1/opportunities", headers=company)
        assert [o["opportunity_id"] for o in open_now.json()["opportunities"]] == [ids[1]]


async def test_esco_suggestions_come_through_intake_and_a_missing_matcher_gets_a_clear_503(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake", "matcher")) as stack,
        httpx.AsyncClient(timeout=10) as client,
    ):

        async def suggested() -> dict[str, Any] | None:
            r = await client.get(
                f"{stack.api}/v1/esco/suggest", params={"q": "sygeplejeske", "kind": "occupation"}, headers=CASEWORKER
            )
            return r.json() if r.status_code == 200 else None

        body = await eventually(suggested, 30, "the suggester to be built")
        first = body["suggestions"][0]
        assert first["label"] == "sygeplejerske"  # the typo is forgiven
        assert first["uri"].startswith("http://data.europa.eu/esco/occupation/")
        assert first["label_en"]
        # A title several occupations carry is offered for the one the ranking reads it as.
        r = await client.get(f"{stack.api}/v1/esco/suggest", params={"q": "lastbilchauffør"}, headers=CASEWORKER)
        assert r.json()["suggestions"][0]["label_en"] == "cargo vehicle driver", r.json()

        r = await client.get(
            f"{stack.api}/v1/esco/suggest", params={"q": "welding", "kind": "skill"}, headers=CASEWORKER
        )
        assert r.status_code == 200
        assert any("welding" in s["label"] for s in r.json()["suggestions"])
        citizen = await client.get(f"{stack.api}/v1/esco/suggest", params={"q": "kok"}, headers=bearer("citizen", "x"))
        assert citizen.status_code == 403

    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake",)) as alone,
        httpx.AsyncClient(timeout=10) as client,
    ):
        r = await client.get(f"{alone.api}/v1/esco/suggest", params={"q": "kok"}, headers=CASEWORKER)
        assert r.status_code == 503
        assert r.json()["error"] == "suggest_unavailable"
        assert "matcher" in r.json()["message"]
