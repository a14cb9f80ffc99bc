"""The proposal lifecycle over the real broker, Redis and SMTP: approval, offer, yes, sharing, the owner's
answer, start and end, with the capacity hold released exactly when the proposal leaves the running."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import MailRecorder, running_stack, smtp_server
from tests.helpers import bearer, consumed_everything, eventually
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e

LIFECYCLE = {"ranking_digest": False}


def _cvr() -> str:
    return str(random.randint(10_000_000, 99_999_999))


class World:
    def __init__(self, client: httpx.AsyncClient, stack: Any, mail: MailRecorder) -> None:
        self.client, self.stack, self.mail = client, stack, mail
        self.caseworker = bearer("caseworker", "cw-life", "316")
        self.admin = bearer("admin", "admin-life")

    async def opportunity(self, cvr: str, **overrides: Any) -> str:
        owner = {"type": "company", "cvr": cvr, "name": "Livscyklus ApS (demo)"}
        r = await self.client.post(
            "/v1/opportunities", json=opportunity_payload(owner=owner, **overrides), headers=self.admin
        )
        assert r.status_code == 202, r.text
        opportunity_id: str = r.json()["opportunity_id"]

        async def in_catalogue() -> bool:
            return bool((await self.stack.matcher_stats())["catalogue_size"] >= 1)

        await eventually(in_catalogue, 20, "the catalogue")
        return opportunity_id

    async def citizen(self, **overrides: Any) -> tuple[str, str]:
        payload = profile_payload(**overrides)
        r = await self.client.post("/v1/citizens", json=payload, headers=self.caseworker)
        assert r.status_code == 202, r.text
        return r.json()["citizen_id"], payload["personal"]["email"]

    async def lifecycle(self, citizen_id: str) -> list[dict[str, Any]]:
        r = await self.client.get(f"/v1/citizens/{citizen_id}/proposals", headers=self.caseworker)
        assert r.status_code == 200, r.text
        entries: list[dict[str, Any]] = r.json()["lifecycle"]
        return entries

    async def first_proposal(self, citizen_id: str) -> dict[str, Any]:
        async def tracked() -> dict[str, Any] | None:
            entries = await self.lifecycle(citizen_id)
            return entries[0] if entries else None

        return await eventually(tracked, 30, f"a tracked proposal for {citizen_id}")

    async def state_of(self, proposal_id: str, wanted: str, timeout_s: float = 30) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            body: dict[str, Any] = (await self.client.get(f"/v1/proposals/{proposal_id}", headers=self.admin)).json()
            return body if body["state"] == wanted else None

        return await eventually(reached, timeout_s, f"proposal {proposal_id} to be {wanted}")

    async def step(self, path: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(path, json=body or {}, headers=headers)

    async def fresh_ranking(self, citizen_id: str) -> list[str]:
        """Ask for a new ranking and wait for it; the opportunity ids it proposes."""
        before = (await self.client.get(f"/v1/citizens/{citizen_id}/proposals", headers=self.caseworker)).json()
        assert (await self.client.post(f"/v1/citizens/{citizen_id}/match", headers=self.caseworker)).status_code == 202

        async def new() -> dict[str, Any] | None:
            body: dict[str, Any] = (
                await self.client.get(f"/v1/citizens/{citizen_id}/proposals", headers=self.caseworker)
            ).json()
            return body if body["match_event_id"] != before["match_event_id"] else None

        return [p["opportunity_id"] for p in (await eventually(new, 30, "a new ranking"))["proposals"]]


@asynccontextmanager
async def lifecycle_world(infra: InfraHandle, common: CommonSettings, **stack: Any) -> AsyncIterator[World]:
    """The three services with the lifecycle's notifier rule, an SMTP server, and a client for intake."""
    async with (
        smtp_server() as (mail, smtp_port),
        running_stack(infra, common, smtp_port, notifier=LIFECYCLE, **stack) as running,
        httpx.AsyncClient(base_url=running.api, timeout=10) as client,
    ):
        yield World(client, running, mail)


async def test_approve_accept_share_answer_start_end_and_the_hold_is_released_only_at_the_end(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr = _cvr()
    company = bearer("company", cvr)
    async with lifecycle_world(infra, common, matcher={"capacity_per_place": 1}) as w:
        client, mail = w.client, w.mail
        opportunity_id = await w.opportunity(cvr, capacity=1)
        citizen_id, address = await w.citizen()
        entry = await w.first_proposal(citizen_id)
        proposal_id = entry["proposal_id"]
        assert entry["state"] == "proposed" and entry["opportunity_id"] == opportunity_id

        queue = (await client.get("/v1/caseworker/queue", headers=w.caseworker)).json()
        mine = [q for q in queue if q["proposal_id"] == proposal_id]
        assert mine and mine[0]["hand_over_in_person"] is False
        assert not mail.to(address), "nothing reaches the citizen before a caseworker approves"

        decision = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
        r = await w.step(decision, w.caseworker, {"decision": "approve"})
        assert (r.status_code, r.json()["state"]) == (200, "approved")
        again = await w.step(decision, w.caseworker, {"decision": "approve"})
        assert (again.status_code, again.json()["state"]) == (409, "approved")
        late = await w.step(decision, w.caseworker, {"decision": "override", "reason": "Ikke alligevel."})
        assert late.status_code == 409

        await w.state_of(proposal_id, "offered")
        assert len(mail.to(address)) == 1
        before_yes = (await client.get(f"/v1/companies/{cvr}/candidates", headers=company)).json()
        assert [(c["state"], c["proposal_id"], c["details"]) for c in before_yes] == [("offered", None, None)]

        # The one place is held: a second citizen is not proposed it.
        other, _ = await w.citizen()
        assert await w.fresh_ranking(other) == []

        citizen = bearer("citizen", citizen_id)
        r = await w.step(f"/v1/proposals/{proposal_id}/answer", citizen, {"answer": "accept"})
        assert (r.status_code, r.json()["state"]) == (200, "shared")
        after_yes = (await client.get(f"/v1/companies/{cvr}/candidates", headers=company)).json()
        assert after_yes[0]["proposal_id"] == proposal_id
        assert after_yes[0]["details"]["email"] == address and after_yes[0]["details"]["name"].startswith("Testperson")

        assert (await w.step(f"/v1/proposals/{proposal_id}/owner-answer", company, {"answer": "interested"})).json()[
            "state"
        ] == "interested"
        today = dt.date.today().isoformat()
        assert (await w.step(f"/v1/proposals/{proposal_id}/start", company, {"date": today})).json()[
            "state"
        ] == "started"
        assert await w.fresh_ranking(other) == [], "a started placement still holds its place"

        r = await w.step(f"/v1/proposals/{proposal_id}/end", company, {"date": today, "outcome": "hired"})
        assert (r.status_code, r.json()["state"]) == (200, "ended")
        refused = await w.step(f"/v1/proposals/{proposal_id}/answer", citizen, {"answer": "decline"})
        assert (refused.status_code, refused.json()["state"]) == (409, "ended")

        # The place is free again, but the citizen who said yes is never proposed the same job again.
        assert opportunity_id not in await w.fresh_ranking(citizen_id)

        async def freed() -> list[str] | None:
            return await w.fresh_ranking(other) or None

        assert await eventually(freed, 40, "the freed place to be proposed") == [opportunity_id]
        history = [h["to_state"] for h in (await w.state_of(proposal_id, "ended"))["history"]]
        assert history == ["approved", "offered", "accepted", "shared", "interested", "started", "ended"]
        audit = (await client.get("/v1/audit", params={"citizen_id": citizen_id}, headers=w.admin)).json()
        steps = [e["action"] for e in audit["entries"] if e["resource"] == f"proposal:{proposal_id}"]
        assert sorted(steps) == sorted(["approve", "offer", "accept", "share", "interested", "start", "end"])


async def test_a_private_channel_proposal_is_handed_over_in_person_and_an_erasure_tells_the_owner_to_delete(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr = _cvr()
    company = bearer("company", cvr)
    async with lifecycle_world(infra, common) as w:
        client, mail = w.client, w.mail
        await w.opportunity(cvr)
        citizen_id, address = await w.citizen(preferred_channel="private")
        proposal_id = (await w.first_proposal(citizen_id))["proposal_id"]

        async def queued_private() -> bool:
            queue = (await client.get("/v1/caseworker/queue", headers=w.caseworker)).json()
            return any(q["proposal_id"] == proposal_id and q["hand_over_in_person"] for q in queue)

        await eventually(queued_private, 20, "the queue to mark the proposal for handing over in person")
        decision = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
        assert (await w.step(decision, w.caseworker, {"decision": "approve"})).status_code == 200
        queue = (await client.get("/v1/caseworker/queue", headers=w.caseworker)).json()
        assert [q["state"] for q in queue if q["proposal_id"] == proposal_id] == ["approved"]

        r = await w.step(f"/v1/proposals/{proposal_id}/offer-in-person", w.caseworker)
        assert (r.status_code, r.json()["state"]) == (200, "offered")
        r = await w.step(f"/v1/proposals/{proposal_id}/answer", w.caseworker, {"answer": "accept"})
        assert r.json()["state"] == "shared"
        seen = (await client.get(f"/v1/companies/{cvr}/candidates", headers=company)).json()
        assert seen[0]["details"]["contact_through_jobcentre"] is True and seen[0]["details"]["email"] is None

        assert (await client.delete(f"/v1/citizens/{citizen_id}", headers=w.caseworker)).status_code == 202
        await w.state_of(proposal_id, "retracted")
        told = (await client.get(f"/v1/companies/{cvr}/candidates", headers=company)).json()
        assert [(c["state"], c["delete_details"], c["details"]) for c in told] == [("retracted", True, None)]
        assert not mail.to(address), "nothing is ever e-mailed on the private channel"


async def test_an_offer_expires_by_the_clock_a_withdrawn_consent_retracts_a_decline_is_final_and_no_list_before_yes(
    infra: InfraHandle, common: CommonSettings
) -> None:
    now = [dt.datetime.now(dt.UTC)]
    cvr = _cvr()
    async with lifecycle_world(
        infra,
        common,
        intake={"lifecycle_sweep_s": 0.2, "no_candidates_before_yes": ["316"]},
        intake_clock=lambda: now[0],
    ) as w:
        client = w.client
        await w.opportunity(cvr)
        ids = []
        for _ in range(3):
            citizen_id, _address = await w.citizen()
            proposal_id = (await w.first_proposal(citizen_id))["proposal_id"]
            decision = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
            assert (await w.step(decision, w.caseworker, {"decision": "approve"})).status_code == 200
            await w.state_of(proposal_id, "offered")
            ids.append((citizen_id, proposal_id))

        (_, declined), (withdrawing, withdrawn), (_, expiring) = ids
        company = bearer("company", cvr)
        assert (await client.get(f"/v1/companies/{cvr}/candidates", headers=company)).json() == [], (
            "the municipality switched the pre-yes list off"
        )
        r = await w.step(f"/v1/proposals/{declined}/answer", w.caseworker, {"answer": "decline", "reason": "Nej tak."})
        assert r.json()["state"] == "declined"
        r = await w.step(
            f"/v1/citizens/{withdrawing}/consent/withdraw", bearer("citizen", withdrawing), {"kinds": ["ordinary_job"]}
        )
        assert (r.status_code, r.json()["retracted"]) == (202, 1)
        await w.state_of(withdrawn, "retracted")

        now[0] += dt.timedelta(days=14, minutes=1)
        await w.state_of(expiring, "expired", timeout_s=10)
        assert (await w.state_of(declined, "declined"))["history"][-1]["reason"] == "Nej tak."
        late = await w.step(f"/v1/proposals/{expiring}/answer", w.caseworker, {"answer": "accept"})
        assert (late.status_code, late.json()["state"]) == (409, "expired")


async def test_every_illegal_step_is_answered_409_with_the_current_state(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr = _cvr()
    company = bearer("company", cvr)
    async with lifecycle_world(infra, common) as w:
        await w.opportunity(cvr)
        citizen_id, _ = await w.citizen()
        proposal_id = (await w.first_proposal(citizen_id))["proposal_id"]
        citizen = bearer("citizen", citizen_id)
        today = dt.date.today().isoformat()
        p = f"/v1/proposals/{proposal_id}"
        decision = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
        too_early: list[tuple[str, dict[str, str], dict[str, Any]]] = [
            (f"{p}/answer", citizen, {"answer": "accept"}),
            (f"{p}/owner-answer", company, {"answer": "interested"}),
            (f"{p}/start", company, {"date": today}),
            (f"{p}/end", company, {"date": today, "outcome": "hired"}),
            (f"{p}/offer-in-person", w.caseworker, {}),
        ]
        for path, who, body in too_early:
            r = await w.step(path, who, body)
            assert (r.status_code, r.json().get("state")) == (409, "proposed"), (path, r.text)

        r = await w.step(decision, w.caseworker, {"decision": "override", "reason": "Passer ikke nu."})
        assert (r.status_code, r.json()["state"]) == (200, "overridden")
        for path, who, body in [(decision, w.caseworker, {"decision": "approve"}), *too_early]:
            r = await w.step(path, who, body)
            assert (r.status_code, r.json().get("state")) == (409, "overridden"), (path, r.text)

        # Wrong roles are 403, strangers 404, missing fields 422: never a 409 that leaks the state.
        assert (await w.step(f"{p}/answer", company, {"answer": "accept"})).status_code == 403
        assert (
            await w.step(f"{p}/owner-answer", bearer("company", _cvr()), {"answer": "interested"})
        ).status_code == 404
        assert (
            await w.step(f"{p}/answer", bearer("citizen", str(uuid.uuid4())), {"answer": "accept"})
        ).status_code == 404
        missing = await w.step(f"{p}/end", company, {"date": today})
        assert missing.status_code == 422 and missing.json()["problems"][0]["field"] in ("outcome", "body.outcome")


async def test_two_intake_instances_racing_one_decision_make_one_winner_and_one_409(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr = _cvr()
    async with (
        smtp_server() as (mail, smtp_port),
        running_stack(infra, common, smtp_port, notifier=LIFECYCLE) as stack,
        running_stack(infra, common, smtp_port, services=("intake",)) as second,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as a,
        httpx.AsyncClient(base_url=second.api, timeout=10) as b,
    ):
        w = World(a, stack, mail)
        await w.opportunity(cvr)
        for _ in range(3):
            citizen_id, _ = await w.citizen()
            proposal_id = (await w.first_proposal(citizen_id))["proposal_id"]
            path = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
            answers = await asyncio.gather(
                a.post(path, json={"decision": "approve"}, headers=w.caseworker),
                b.post(path, json={"decision": "override", "reason": "Den anden sagsbehandler."}, headers=w.caseworker),
            )
            codes = sorted(r.status_code for r in answers)
            assert codes == [200, 409], [r.text for r in answers]
            winner = next(r for r in answers if r.status_code == 200).json()["state"]
            loser = next(r for r in answers if r.status_code == 409).json()["state"]
            assert winner == loser  # the loser is told the state the winner made
            history = (await w.state_of(proposal_id, winner))["history"]
            assert len(history) >= 1 and history[0]["to_state"] == winner


async def test_an_erasure_after_the_yes_sends_nothing_more_and_tells_the_owner_to_delete(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr = _cvr()
    company = bearer("company", cvr)
    async with lifecycle_world(infra, common) as w:
        client, mail = w.client, w.mail
        await w.opportunity(cvr)
        await w.opportunity(cvr, title="Køkkenmedhjælper")
        citizen_id, address = await w.citizen()

        async def both() -> list[dict[str, Any]] | None:
            entries = await w.lifecycle(citizen_id)
            return entries if len(entries) == 2 else None

        first, second = await eventually(both, 30, "two tracked proposals")
        for entry in (first, second):
            path = f"/v1/citizens/{citizen_id}/proposals/{entry['proposal_id']}/decision"
            assert (await w.step(path, w.caseworker, {"decision": "approve"})).status_code == 200
        await w.state_of(first["proposal_id"], "offered")
        await w.state_of(second["proposal_id"], "offered")
        told_before = len(mail.to(address))  # one digest, or two if the approvals fell in two sweeps
        assert told_before in (1, 2)
        accepted = await w.step(
            f"/v1/proposals/{first['proposal_id']}/answer", bearer("citizen", citizen_id), {"answer": "accept"}
        )
        assert accepted.json()["state"] == "shared"

        assert (await client.delete(f"/v1/citizens/{citizen_id}", headers=w.caseworker)).status_code == 202
        await w.state_of(first["proposal_id"], "retracted")
        await w.state_of(second["proposal_id"], "retracted")
        await consumed_everything(
            w.stack.notifier, infra.kafka_bootstrap, common.topics.citizens, common.topics.proposals
        )
        assert len(mail.to(address)) == told_before, "nothing is sent about an erased citizen"
        told = {
            c["state"]: c["delete_details"]
            for c in (await client.get(f"/v1/companies/{cvr}/candidates", headers=company)).json()
        }
        assert told == {"retracted": True}
