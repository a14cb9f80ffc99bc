"""The KPI report over the real broker and Redis: people counted by group from the topics, small groups hidden,
no personal data in the output; and a caseworker's follow-up on a job that started through the lifecycle."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer
from redis.asyncio import Redis

from services.intake.adapters.kpi_store import KpiStore
from shared.contracts import OpportunityKind, ProposalTransitioned
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.lifecycle_steps import proposal_of, start
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, eventually, read_topic
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e

CASEWORKER = bearer("caseworker", "cw-kpi", "316")
AWAY = bearer("caseworker", "cw-kpi-away", "101")
TODAY = dt.date.today()


def _citizen(gender: str, passed: bool, tag: str) -> dict[str, Any]:
    start = TODAY.replace(year=TODAY.year - 4)
    tests = [{"test": "PD2", "date": start.replace(year=start.year + 2).isoformat(), "passed": True}] if passed else []
    return profile_payload(
        personal={"name": f"Kpi Person {tag}", "email": f"kpi-{tag}@example.org"},
        programme_start=start.isoformat(),
        danish_tests=tests,
        audit={"gender": gender, "origin_group": "refugee", "age_band": "30-39"},
    )


async def test_the_report_counts_people_by_group_hides_groups_under_five_and_holds_no_personal_data(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake",)) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        tags = [uuid.uuid4().hex[:8] for _ in range(15)]
        ids = []
        for n, tag in enumerate(tags):  # twelve women (six passed Danish), three men
            payload = _citizen("female" if n < 12 else "male", passed=n < 6, tag=tag)
            r = await client.post("/v1/citizens", json=payload, headers=CASEWORKER)
            assert r.status_code == 202, r.text
            ids.append(r.json()["citizen_id"])
        # Five women started a job: lifecycle events in their readable form (still accepted; intake writes them sealed).
        producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
        try:
            for citizen in ids[:5]:
                event = ProposalTransitioned(
                    correlation_id="kpi-test",
                    citizen_id=uuid.UUID(citizen),
                    proposal_id=uuid.uuid4(),
                    opportunity_id=uuid.uuid4(),
                    kind=OpportunityKind.ORDINARY_JOB,
                    action="start",
                    from_state="interested",
                    to_state="started",
                    actor_role="caseworker",
                    actor_id="cw-kpi",
                    on_date=TODAY,
                    releases_capacity=False,
                )
                producer.send(common.topics.citizens, key=citizen.encode(), value=event.model_dump_json().encode())
            producer.flush()
        finally:
            producer.close()

        async def counted() -> dict[str, Any] | None:
            r = await client.get("/v1/kpi", headers=CASEWORKER)
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            ready = body["rows"]["citizens"]["total"] == 15 and body["rows"]["job_started"]["total"] == 5
            return body if ready else None

        report = await eventually(counted, 30, "the KPI read model to count fifteen people and five jobs")
        rows = report["rows"]
        assert rows["citizens"]["by_gender"] == {"female": 12, "male": "<5", "other": "<5", "undisclosed": "<5"}
        assert rows["danish_within_5"]["total"] == 6
        assert rows["danish_within_5"]["by_gender"]["female"] == 6
        assert rows["danish_within_5"]["by_gender"]["male"] == "<5"
        assert rows["job_started"]["by_gender"]["female"] == 5
        assert report["rates"]["rate_danish_within_5"]["total"] == 0.4
        assert report["rates"]["rate_danish_within_5"]["by_gender"]["male"] == "<5"
        assert report["rates"]["rate_in_work_3_years"]["target"] == 0.5

        csv = await client.get("/v1/kpi", params={"format": "csv"}, headers=CASEWORKER)
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        lines = csv.text.splitlines()
        assert lines[0].startswith("metric,total,gender:female,gender:male")
        assert lines[1] == "citizens,15,12,<5,<5,<5,15,<5,<5,<5,<5,<5,"
        for output in (csv.text, str(report)):
            assert not any(tag in output for tag in tags)  # no name, no e-mail
            assert not any(citizen in output for citizen in ids)  # no citizen id

        away = (await client.get("/v1/kpi", headers=AWAY)).json()
        assert away["municipality"] == "101" and away["rows"]["citizens"]["total"] == "<5"
        assert (await client.get("/v1/kpi", headers=bearer("company", "12345678"))).status_code == 403


async def test_a_caseworker_records_a_follow_up_once_the_job_has_started_and_only_on_jobs(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr = f"{uuid.uuid4().int % 10**8:08d}"
    company = bearer("company", cvr)
    owner = {"type": "company", "cvr": cvr, "name": "Opfølgning ApS (test)"}
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake", "matcher")) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        job = opportunity_payload(owner=owner, title="Rengøringsassistent (opfølgning)")
        placement = opportunity_payload(
            owner=owner,
            kind="language_placement",
            placement_type="sprogpraktik",
            title="Sprogpraktik i rengøring (opfølgning)",
        )
        for payload in (job, placement):
            r = await client.post("/v1/opportunities", json=payload, headers=bearer("admin", "a"))
            assert r.status_code == 202, r.text
        r = await client.post("/v1/citizens", json=profile_payload(), headers=CASEWORKER)
        citizen = r.json()["citizen_id"]
        pid = await proposal_of(client, citizen, job["title"], CASEWORKER)
        placement_pid = await proposal_of(client, citizen, placement["title"], CASEWORKER)

        follow = f"/v1/proposals/{pid}/follow-ups"
        early = await client.post(follow, json={"months": 3, "employed": True}, headers=CASEWORKER)
        assert early.status_code == 409 and early.json()["error"] == "not_started"

        await start(client, citizen, pid, CASEWORKER, company, TODAY)
        await start(client, citizen, placement_pid, CASEWORKER, company, TODAY)

        # A language placement is not a job: no follow-up while it runs, nor when it ends without a hire.
        on_placement = f"/v1/proposals/{placement_pid}/follow-ups"
        refused = await client.post(on_placement, json={"months": 3, "employed": True}, headers=CASEWORKER)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "not_a_job"
        assert refused.json()["problems"][0]["field"] == "kind"
        assert "language_placement" in refused.json()["message"]
        ended = await client.post(
            f"/v1/proposals/{placement_pid}/end",
            json={"date": TODAY.isoformat(), "outcome": "hired"},
            headers=company,
        )
        assert ended.status_code == 200, ended.text
        # Ended with a hire, it led to a job: its follow-up counts from the end.
        hired = await client.post(on_placement, json={"months": 6, "employed": True}, headers=CASEWORKER)
        assert hired.status_code == 202, hired.text

        assert (await client.post(follow, json={"months": 3, "employed": True}, headers=company)).status_code == 403
        assert (await client.post(follow, json={"months": 3, "employed": True}, headers=AWAY)).status_code == 404
        r = await client.post(follow, json={"months": 3, "employed": True}, headers=CASEWORKER)
        assert r.status_code == 202, r.text

        async def recorded() -> list[dict[str, Any]] | None:
            raw = await asyncio.to_thread(read_topic, infra.kafka_bootstrap, common.topics.citizens)
            records = [json.loads(v) for _, v in raw]
            assert not [e for e in records if e["event_type"] == "EmploymentFollowUpRecorded"]  # never in clear
            found = [e for e in records if e["event_type"] == "SealedEmploymentFollowUpRecorded"]
            return found if len(found) == 2 else None

        events = await eventually(recorded, 30, "the two sealed follow-ups on the citizens topic")
        assert all(e["citizen_id"] == citizen and "employed" not in e for e in events)

        redis = Redis.from_url(infra.redis_url)
        try:
            store = KpiStore(redis, common.namespace)

            async def in_read_model() -> list[Any] | None:
                facts = [f for f in await store.facts("316") if str(f.citizen_id) == citizen]
                return facts[0].follow_ups if facts and len(facts[0].follow_ups) == 2 else None

            follow_ups = await eventually(in_read_model, 30, "the follow-ups in the KPI read model")
        finally:
            await redis.aclose()
        assert sorted(u.months for u in follow_ups) == [3, 6]
        assert all(u.employed and u.started_on == TODAY for u in follow_ups)
