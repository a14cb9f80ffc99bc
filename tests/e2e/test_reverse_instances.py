"""Two matcher processes share the citizens by partition; a new posting's places go to the best-fitting
citizens across both, and no citizen is proposed it twice or gets two rankings at once."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from brobygger.infra import free_port
from services.matcher.adapters.esco_store import load_ranker
from services.matcher.domain.reverse import ReverseRanker
from shared.contracts import CitizenProfile, MatchProposed, Opportunity, SealedMatchProposed
from shared.crypto import KeyRing, KeySettings, KeyStore
from shared.settings import LOCAL_INTERNAL_TOKEN
from tests.e2e.stack import smtp_server
from tests.faults.harness import System
from tests.helpers import bearer, eventually, read_topic
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e

CW, ADMIN = bearer("caseworker", "cw-two", "316"), bearer("admin", "admin-two")
CITIZENS = 8
INTERNAL = {"X-Internal-Token": LOCAL_INTERNAL_TOKEN}


def cleaner(i: int) -> dict[str, Any]:
    """Cleaners living further and further from the job: each scores a little lower than the one before."""
    payload = profile_payload(
        previous_jobs=[{"title": "rengøringsassistent", "years": 3}],
        skills=[{"text": "rengøring"}, {"text": "køkken"}],
    )
    payload["personal"]["home"] = {"lat": 55.7170 + 0.012 * i, "lon": 11.7200}
    return payload


async def stats(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as client:
        data: dict[str, Any] = (await client.get(f"{url}/stats", headers=INTERNAL)).json()
        return data


async def test_two_matcher_processes_give_the_places_to_the_best_citizens_across_both(tmp_path: Path) -> None:
    async with smtp_server() as (mail, smtp_port):
        system = System(tmp_path, mail, smtp_port)
        try:
            system.start_infra()
            system.env["MATCHER_CAPACITY_PER_PLACE"] = "3"
            for name in ("intake", "matcher"):
                system.services[name] = system.service(name, system.services[name].port)
            system.services["matcher2"] = system.service("matcher", free_port(), "2")
            await system.start_services("intake", "matcher", "matcher2")
            matchers = [system.services["matcher"].url, system.services["matcher2"].url]

            async def split() -> bool:
                owned = [int((await stats(url)).get("citizen_partitions", 0)) for url in matchers]
                return all(n > 0 for n in owned)

            await eventually(split, 60, "both matchers to own citizen partitions")

            async with httpx.AsyncClient(base_url=system.api, timeout=10) as client:
                payloads = [cleaner(i) for i in range(CITIZENS)]
                ids = []
                for payload in payloads:
                    r = await client.post("/v1/citizens", json=payload, headers=CW)
                    assert r.status_code == 202, r.text
                    ids.append(r.json()["citizen_id"])

                async def all_ranked() -> bool:
                    for citizen_id in ids:
                        body = (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=CW)).json()
                        if body["status"] != "ready":
                            return False
                    return True

                await eventually(all_ranked, 60, "every citizen's first ranking")

                job_payload = opportunity_payload(capacity=1)
                r = await client.post("/v1/opportunities", json=job_payload, headers=ADMIN)
                assert r.status_code == 202, r.text
                job = r.json()["opportunity_id"]

                async def filled() -> list[dict[str, Any]] | None:
                    found: list[dict[str, Any]] = (
                        await client.get(f"/v1/opportunities/{job}/candidates", headers=ADMIN)
                    ).json()["candidates"]
                    return found if len(found) == 3 else None

                chosen = {c["pseudonym"] for c in await eventually(filled, 60, "three candidates")}

            # Both instances competed: each entered its own citizens into the contest.
            entered = [int((await stats(url)).get("reverse_candidates", 0)) for url in matchers]
            assert all(n > 0 for n in entered) and sum(entered) == CITIZENS, entered

            # The global best three by the citizen-side ranking's own score, computed here independently.
            ranker = ReverseRanker(await asyncio.to_thread(load_ranker))
            opportunity = Opportunity.model_validate(job_payload)
            scores = {}
            for citizen_id, payload in zip(ids, payloads, strict=True):
                fit = ranker.fit(CitizenProfile.model_validate(payload), uuid.UUID(job), opportunity)
                assert fit is not None
                scores[citizen_id] = fit.score
            best = sorted(ids, key=lambda c: -scores[c])[:3]
            assert len(set(scores.values())) == CITIZENS  # no ties: "best" is unambiguous
            assert len(chosen) == 3

            # No citizen was proposed the job twice, and each citizen's rankings came one at a time.
            with_job: dict[str, set[str]] = defaultdict(set)
            events: dict[str, list[str]] = defaultdict(list)
            redis = Redis.from_url(system.infra.redis_url)
            keys = KeyStore(redis, "", KeyRing.from_settings(KeySettings(), "local"))
            try:
                for _, value in read_topic(system.infra.kafka_bootstrap, system.topics.proposals):
                    sealed = SealedMatchProposed.model_validate_json(value)
                    event = await keys.open_event(sealed)
                    assert isinstance(event, MatchProposed)
                    events[str(event.citizen_id)].append(str(event.event_id))
                    for p in event.proposals:
                        if str(p.opportunity_id) == job:
                            with_job[str(event.citizen_id)].add(str(p.proposal_id))
            finally:
                await redis.aclose()
            assert set(with_job) == set(best)  # the three proposed (and listed) are the global best three
            assert all(len(pids) == 1 for pids in with_job.values())
            for citizen_id in ids:
                assert len(events[citizen_id]) == len(set(events[citizen_id])) == (2 if citizen_id in best else 1)
        finally:
            system.stop()
