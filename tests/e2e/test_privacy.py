"""Erasure, export, crypto-shredding and clean logs, end to end over the real broker, Redis and SMTP."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest
from kafka import KafkaProducer

from shared.contracts import SealedMatchProposed
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, eventually, read_topic
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e


def _recognisable() -> dict[str, str]:
    tag = uuid.uuid4().hex[:6]
    return {
        "name": f"Zarifa Qarabaghi{tag}",
        "email": f"zarifa.{tag}@example.org",
        "phone": "+45 71 23 45 67",
        "note": f"Bekymring nummer {tag} noteret af sagsbehandler",
    }


async def test_an_erased_citizen_is_gone_everywhere_and_nothing_readable_remains(
    infra: InfraHandle, common: CommonSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = _recognisable()
    profile = profile_payload(
        personal={
            "name": secret["name"],
            "email": secret["email"],
            "phone": secret["phone"],
            "home": {"lat": 55.7158, "lon": 11.7128},
            "caseworker_note": secret["note"],
        }
    )
    caseworker, admin = bearer("caseworker", "cw-1", "316"), bearer("admin", "admin-1")
    async with smtp_server() as (mail, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10) as client:
            r = await client.post("/v1/opportunities", json=opportunity_payload(), headers=admin)
            assert r.status_code == 202, r.text
            await eventually(lambda: _catalogue(stack), 20, "the catalogue")
            r = await client.post("/v1/citizens", json=profile, headers=caseworker)
            assert r.status_code == 202, r.text
            citizen_id = r.json()["citizen_id"]

            async def ranked() -> bool:
                body = (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=caseworker)).json()
                return bool(body["status"] == "ready")

            await eventually(ranked, 30, "proposals")
            await eventually(lambda: asyncio.sleep(0, mail.to(secret["email"])), 30, "the e-mail")

            # A malformed record that carries the name must be dead-lettered without it.
            producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
            poison = f'{{"event_type": "CitizenProfileSubmitted", "name": "{secret["name"]}"}}'.encode()
            producer.send(common.topics.citizens, key=citizen_id.encode(), value=poison).get(timeout=10)

            async def dead_lettered() -> bool:
                return len(read_topic(infra.kafka_bootstrap, common.topics.dead_letters)) >= 2  # matcher, notifier

            await eventually(dead_lettered, 30, "the dead letters")

            export = (await client.get(f"/v1/citizens/{citizen_id}/export", headers=caseworker)).json()
            assert export["services"]["matcher"]["profile"]["personal"]["name"] == secret["name"]
            assert export["services"]["notifier"]["contact"]["email"] == secret["email"]
            assert export["services"]["intake"]["proposals"] is not None

            r = await client.delete(f"/v1/citizens/{citizen_id}", headers=caseworker)
            assert r.status_code == 202, r.text

            async def everything_forgotten() -> dict | None:  # type: ignore[type-arg]
                body = (await client.get(f"/v1/citizens/{citizen_id}/export", headers=caseworker)).json()
                services = body["services"]
                empty = (
                    services["intake"] == {}
                    and services["matcher"]["profile"] is None
                    and services["notifier"]["contact"] is None
                    and services["notifier"]["deliveries"] == []
                )
                return body if empty else None

            after = await eventually(everything_forgotten, 30, "every service to forget the citizen")
            assert after["erased"] is True
            assert (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=caseworker)).status_code == 404
            assert (await client.post(f"/v1/citizens/{citizen_id}/match", headers=caseworker)).status_code == 404

            # A ranking still in flight for the erased citizen sends nothing.
            ranking = next(
                value
                for _, value in read_topic(infra.kafka_bootstrap, common.topics.proposals)
                if SealedMatchProposed.model_validate_json(value).citizen_id == uuid.UUID(citizen_id)
            )
            sealed = SealedMatchProposed.model_validate_json(ranking)
            redelivered = sealed.model_copy(update={"event_id": uuid.uuid4()})
            producer.send(
                common.topics.proposals, key=citizen_id.encode(), value=redelivered.model_dump_json().encode()
            ).get(timeout=10)
            producer.close()

            async def notifier_consumed_it() -> bool:
                stats = await stack.notifier_stats()
                return bool(stats.get("processed", 0) >= 4)  # profile, ranking, erasure, redelivered ranking

            await eventually(notifier_consumed_it, 30, "the notifier to consume the late ranking")
            assert len(mail.to(secret["email"])) == 1

            audit = (await client.get("/v1/audit", params={"citizen_id": citizen_id}, headers=admin)).json()
            actions = {entry["action"] for entry in audit["entries"]}
            assert {"read", "export", "erase"} <= actions
            assert (await client.get("/v1/audit", headers=caseworker)).status_code == 403

    # Nothing readable about the citizen is left on any topic, in any log line or dead letter.
    needles = [v.encode() for v in secret.values()] + [secret["email"].split("@")[0].encode()]
    for topic in common.topics.all():
        for _, value in read_topic(infra.kafka_bootstrap, topic):
            if value == poison:
                continue  # the test's own malformed record, not something the system wrote
            for needle in needles:
                assert needle not in value, f"{needle!r} readable on {topic}"
    for record in caplog.records:
        if record.name.startswith(("mail.", "kafka.")):
            continue  # the test's own tools: aiosmtpd stands in for the mail relay; kafka-python sends the poison
        line = record.getMessage() + str(record.exc_text or "")
        for needle in secret.values():
            assert needle not in line, f"{needle!r} in a log line: {line[:200]}"


async def _catalogue(stack) -> bool:  # type: ignore[no-untyped-def]
    return bool((await stack.matcher_stats())["catalogue_size"] >= 1)
