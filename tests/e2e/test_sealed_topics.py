"""After erasure, every topic read raw says nothing about the person beyond the pseudonymous id and metadata."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, eventually, read_topic
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e

METADATA = {"event_id", "occurred_at", "schema_version", "correlation_id", "event_type", "citizen_id"}
#: What each event about a citizen may show on a topic; everything else must be inside `sealed`.
READABLE: dict[str, set[str]] = {
    "SealedCitizenProfileSubmitted": METADATA | {"sealed"},
    "SealedCitizenProfileUpdated": METADATA | {"sealed"},
    "SealedProposalDeclined": METADATA | {"sealed"},
    "SealedMatchProposed": METADATA | {"sealed"},
    # The lifecycle's routing part: ids, kind and what the step means for capacity and the owner.
    "SealedProposalTransitioned": METADATA
    | {
        "sealed",
        "proposal_id",
        "opportunity_id",
        "kind",
        "to_state",
        "releases_capacity",
        "commits_capacity",
        "owner_must_delete",
    },
    "SealedConsentWithdrawn": METADATA | {"sealed"},
    "CitizenErased": METADATA,
    "MatchRequested": METADATA | {"top_n"},
    "NotificationSent": METADATA | {"match_event_id", "channel", "message_id", "proposal_ids"},
    "AuditRecorded": METADATA | {"actor_role", "actor_id", "action", "resource", "reason", "sealed_reason"},
}


def _strings(value: Any) -> list[str]:
    """Every readable string in a record, leaving out sealed content (ciphertext is not readable)."""
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in ("sealed", "sealed_reason") for s in [k, *_strings(v)]]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


async def test_every_topic_read_raw_after_erasure_shows_only_the_pseudonymous_id_and_metadata(
    infra: InfraHandle, common: CommonSettings
) -> None:
    tag = uuid.uuid4().hex[:8]
    club = opportunity_payload(
        kind="association_activity",
        owner={"type": "association", "association_id": f"kvinder-{tag}", "name": f"Kvindenetværk {tag}"},
        title=f"Kvindernes madklub {tag}",
        association={"activity_type": "womens_network", "language_friendly": True, "women_only": True},
        skills=[],
        min_danish_level=None,
    )
    job = opportunity_payload(title=f"Køkkenhjælp {tag}")
    profile = profile_payload(
        interests=[f"madlavning{tag}", "madlavning"],
        home_town=f"Holbæk{tag}",
        preferred_channel="private",
        wants_women_only_activities=True,
        education=[{"title": f"Gymnasium {tag}", "level": "secondary", "country": "SY"}],
    )
    profile["personal"]["social_control_concern"] = True
    caseworker, admin = bearer("caseworker", "cw-seal", "316"), bearer("admin", "admin-seal")
    reason = f"Borgeren ønsker det ikke {tag}"
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10) as client:
            for payload in (club, job):
                assert (await client.post("/v1/opportunities", json=payload, headers=admin)).status_code == 202

            async def both_read() -> bool:
                return bool((await stack.matcher_stats())["catalogue_size"] >= 2)

            await eventually(both_read, 20, "the catalogue")
            r = await client.post("/v1/citizens", json=profile, headers=caseworker)
            assert r.status_code == 202, r.text
            citizen_id = r.json()["citizen_id"]

            async def ranked() -> dict[str, Any] | None:
                body: dict[str, Any] = (
                    await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=caseworker)
                ).json()
                return body if body["status"] == "ready" and body["proposals"] and body["associations"] else None

            view = await eventually(ranked, 30, "proposals with the association")
            assert view["associations"][0]["title"] == club["title"]  # readable to staff, through the API
            proposal = view["proposals"][0]["proposal_id"]
            decision = {"decision": "override", "reason": reason}
            path = f"/v1/citizens/{citizen_id}/proposals/{proposal}/decision"
            assert (await client.post(path, json=decision, headers=caseworker)).status_code == 200
            audit = (await client.get("/v1/audit", params={"citizen_id": citizen_id}, headers=admin)).json()
            assert reason in [e["reason"] for e in audit["entries"]]  # opened for the admin while the key exists

            assert (await client.delete(f"/v1/citizens/{citizen_id}", headers=caseworker)).status_code == 202

            async def forgotten() -> bool:
                body = (await client.get(f"/v1/citizens/{citizen_id}/export", headers=caseworker)).json()
                return bool(body["services"]["matcher"]["profile"] is None and body["services"]["intake"] == {})

            await eventually(forgotten, 30, "every service to forget the citizen")
            audit = (await client.get("/v1/audit", params={"citizen_id": citizen_id}, headers=admin)).json()
            assert reason not in str(audit) and "(erased with the citizen)" in str(audit)

    about_citizen = 0
    for topic in common.topics.all():
        for key, value in read_topic(infra.kafka_bootstrap, topic):
            record = json.loads(value)
            readable = _strings(record)
            assert not [s for s in readable if tag in s and not s.startswith(("kvinder-", "Kvinde"))] or (
                topic == common.topics.opportunities
            ), f"{topic}: something about the person is readable: {[s for s in readable if tag in s]}"
            if record.get("citizen_id") == citizen_id or key == citizen_id.encode():
                about_citizen += 1
                allowed = READABLE.get(record["event_type"])
                assert allowed is not None, f"{topic}: {record['event_type']} about the citizen is not a sealed type"
                assert set(record) <= allowed, f"{topic}: {record['event_type']} shows {set(record) - allowed}"
                assert record.get("reason", "") == ""
                for word in ("female", "refugee", "private", "SY", "madlavning", "4300"):
                    assert word not in readable, f"{topic}: {word!r} readable in {record['event_type']}"
    assert about_citizen >= 6  # profile, ranking, decline, audit entries, erasure
