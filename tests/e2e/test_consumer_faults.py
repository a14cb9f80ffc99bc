"""Consumers under faults, against the real broker and Redis: poison records, a stalled Redis, replays.

Poison is dead-lettered at once and everything else is processed; a Redis that stops answering
pauses the partitions (no dead letters) until it answers again; a dead letter replayed after a fix
is processed once, and replaying it again changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import uuid
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer

from brobygger.cli import main as cli
from shared.contracts import DeadLetter, MatchRequested, ProposalDeclined
from shared.logging import CorrelationFilter
from shared.settings import LOCAL_INTERNAL_TOKEN, CommonSettings, KafkaSettings
from tests.conftest import InfraHandle
from tests.e2e.smtp_handlers import RefusingMail, serving
from tests.e2e.stack import Stack, running_stack, smtp_server
from tests.helpers import bearer, eventually, poison_records, read_topic
from tests.samples import profile_payload

pytestmark = pytest.mark.e2e

LIMIT = KafkaSettings.model_fields["max_record_bytes"].default


def _letters(infra: InfraHandle, common: CommonSettings) -> dict[uuid.UUID, DeadLetter]:
    """Dead letters by id (a dead letter sent twice after a crash has one id)."""
    records = read_topic(infra.kafka_bootstrap, common.topics.dead_letters)
    found = [DeadLetter.model_validate_json(v) for _, v in records]
    return {d.event_id: d for d in found}


async def _stats(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        internal = {"X-Internal-Token": LOCAL_INTERNAL_TOKEN}  # the services' port serves stats to it only
        body: dict[str, Any] = (await client.get(f"{url}/stats", headers=internal)).json()
        return body


async def _retried(url: str, service: str, topic: str) -> float:
    """The service's Prometheus count of transient retries on `topic` (0 when it never retried there)."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{url}/metrics")).text
    labels = f'{{service="{service}",topic="{topic}"}}'
    assert f"brobygger_records_consumed_total{labels}" in text, "the metric names or labels changed"
    wanted = f"brobygger_records_retried_total{labels}"
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(wanted))


async def _submit(client: httpx.AsyncClient) -> tuple[str, str]:
    profile = profile_payload()
    r = await client.post("/v1/citizens", json=profile)
    assert r.status_code == 202, r.text
    return r.json()["citizen_id"], profile["personal"]["email"]


async def _ranked(client: httpx.AsyncClient, citizen_id: str) -> dict[str, Any]:
    async def ready() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/v1/citizens/{citizen_id}/proposals")).json()
        return body if body["status"] == "ready" else None

    return await eventually(ready, 60, f"a ranking for {citizen_id}")


def _poison(common: CommonSettings) -> dict[str, bytes]:
    return poison_records(LIMIT)


async def test_poison_records_are_dead_lettered_once_each_and_every_valid_profile_is_still_processed(
    infra: InfraHandle, common: CommonSettings
) -> None:
    poison = _poison(common)
    assert len(poison["just over the limit"]) == LIMIT + 1
    async with smtp_server() as (mail, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
            before = [await _submit(client) for _ in range(3)]
            producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all", max_request_size=4 * LIMIT)
            for kind, value in poison.items():
                # The same key as a valid citizen: the poison shares its partition with real work.
                key = before[len(kind) % len(before)][0].encode()
                producer.send(common.topics.citizens, key=key, value=value, headers=[("kind", kind.encode())]).get(30)
            # A valid event whose header is not UTF-8: headers are metadata, so it is processed, not poison.
            declined = ProposalDeclined(
                correlation_id="bad-header",
                citizen_id=before[0][0],
                proposal_id=uuid.uuid4(),
                opportunity_id=uuid.uuid4(),
                by_role="caseworker",
            )
            producer.send(
                common.topics.citizens,
                key=before[0][0].encode(),
                value=declined.model_dump_json().encode(),
                headers=[("trace", b"\xff\xfe\xfa")],
            ).get(30)
            producer.close()
            after = [await _submit(client) for _ in range(3)]

            for citizen_id, address in before + after:
                await _ranked(client, citizen_id)
                await eventually(lambda a=address: asyncio.sleep(0, mail.to(a)), 60, f"the e-mail to {address}")

            async def all_poison_dead_lettered() -> dict[uuid.UUID, DeadLetter] | None:
                letters = _letters(infra, common)
                return letters if len(letters) >= 3 * len(poison) else None

            letters = await eventually(all_poison_dead_lettered, 60, "a dead letter per poison record and service")
            # The matcher, the notifier and intake's lifecycle all read the citizens topic.
            assert len(letters) == 3 * len(poison)
            assert {d.service for d in letters.values()} == {"matcher", "notifier", "intake"}
            reasons = sorted((d.service, d.reason[:80]) for d in letters.values())
            for service in ("matcher", "notifier", "intake"):
                mine = [d.reason for d in letters.values() if d.service == service]
                assert any("not JSON" in r or "UTF-8" in r for r in mine), reasons
                assert any("field `" in r for r in mine), reasons
                assert any("`schema_version`: 2 is newer" in r for r in mine), reasons
                assert any("nested too deeply" in r for r in mine), reasons
                too_large = f"record of {LIMIT + 1} bytes is over the limit of {LIMIT} bytes"
                assert any(too_large in r for r in mine), reasons
            assert all(d.key and d.payload_size > 0 for d in letters.values())

            matcher, notifier = await _stats(stack.matcher), await _stats(stack.notifier)
            assert matcher["dead_lettered"] == len(poison) and notifier["dead_lettered"] == len(poison)
            # Poison is never retried: no retry on the citizens topic that carries it. (A proposal may be
            # retried once on its own topic when it overtakes the profile with the contact details.)
            for url, service in ((stack.matcher, "matcher"), (stack.notifier, "notifier")):
                assert await _retried(url, service, common.topics.citizens) == 0, service
            for citizen_id, address in before + after:
                assert len(mail.to(address)) == 1, citizen_id


def _redis_pid(infra: InfraHandle) -> int:
    assert infra.local is not None
    return infra.local._procs["redis"].pid


async def test_a_stalled_redis_pauses_the_partitions_without_dead_letters_and_everything_is_processed_after(
    infra: InfraHandle, common: CommonSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if infra.local is None:
        pytest.skip("needs the local redis-server process to stop and continue")
    monkeypatch.setenv("REDIS_SOCKET_TIMEOUT_S", "0.5")
    monkeypatch.setenv("KAFKA_RETRY_MAX_S", "1")
    async with smtp_server() as (mail, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
            citizens = [await _submit(client) for _ in range(3)]
            for citizen_id, address in citizens:
                await _ranked(client, citizen_id)
                await eventually(lambda a=address: asyncio.sleep(0, mail.to(a)), 60, f"the first e-mail to {address}")

            pid = _redis_pid(infra)
            os.kill(pid, signal.SIGSTOP)
            try:
                producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
                for citizen_id, _ in citizens:
                    request = MatchRequested(correlation_id=f"redis-stall-{citizen_id[:8]}", citizen_id=citizen_id)
                    headers = [("event-type", b"MatchRequested"), ("correlation-id", request.correlation_id.encode())]
                    producer.send(
                        common.topics.citizens,
                        key=citizen_id.encode(),
                        value=request.model_dump_json().encode(),
                        headers=headers,
                    ).get(30)
                producer.close()

                async def matcher_paused() -> dict[str, Any] | None:
                    async with httpx.AsyncClient(timeout=10) as probe:
                        r = await probe.get(f"{stack.matcher}/readyz")
                    body: dict[str, Any] = r.json()
                    return body if r.status_code == 503 and body.get("waiting_on") else None

                paused = await eventually(matcher_paused, 30, "the matcher to pause and say why")
                assert paused["consuming"] is False and paused["redis"] is False
                await eventually(
                    lambda: _retried_at_least(stack, 3), 30, "a few retries with backoff while Redis is stopped"
                )
            finally:
                os.kill(pid, signal.SIGCONT)

            for _, address in citizens:
                await eventually(
                    lambda a=address: asyncio.sleep(0, len(mail.to(a)) >= 2), 60, f"the new e-mail to {address}"
                )

            async def matcher_ready() -> bool:
                async with httpx.AsyncClient(timeout=10) as probe:
                    return (await probe.get(f"{stack.matcher}/readyz")).status_code == 200

            await eventually(matcher_ready, 30, "the matcher to be ready again")
            assert _letters(infra, common) == {}
            for citizen_id, address in citizens:
                assert len({m["Message-ID"] for m in mail.to(address)}) == 2, citizen_id
            async with httpx.AsyncClient(timeout=10) as probe:
                metrics = (await probe.get(f"{stack.matcher}/metrics")).text
            assert 'brobygger_records_retried_total{service="matcher"' in metrics
            assert "brobygger_partitions_paused" in metrics and "brobygger_consumer_lag_records" in metrics
            produced = f'brobygger_records_produced_total{{service="matcher",topic="{common.topics.proposals}"}}'
            assert produced in metrics


async def _retried_at_least(stack: Stack, n: int) -> bool:
    return int((await _stats(stack.matcher)).get("retried", 0)) >= n


def _cli_environment(infra: InfraHandle, common: CommonSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `brobygger dlq` reads, as an operator's shell would have it."""
    for key, value in {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
        "REDIS_URL": infra.redis_url,
        "BROBYGGER_NAMESPACE": common.namespace,
        "KAFKA_SESSION_TIMEOUT_MS": "2000",
        "KAFKA_HEARTBEAT_INTERVAL_MS": "300",
    }.items():
        monkeypatch.setenv(key, value)


async def test_a_dead_letter_replayed_after_the_fix_is_processed_once_and_a_second_replay_changes_nothing(
    infra: InfraHandle, common: CommonSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_environment(infra, common, monkeypatch)
    async with serving(RefusingMail()) as (mail, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
            profile = profile_payload()
            address = profile["personal"]["email"]
            mail.refusing.add(address)
            r = await client.post("/v1/citizens", json=profile)
            assert r.status_code == 202, r.text

            async def refused() -> list[DeadLetter] | None:
                found = [d for d in _letters(infra, common).values() if d.service == "notifier"]
                return found or None

            (letter,) = await eventually(refused, 60, "the notifier's dead letter for the refused e-mail")
            assert letter.source_topic == common.topics.proposals
            assert "refused" in letter.reason and address not in letter.reason
            assert mail.count(address) == 0

            assert await asyncio.to_thread(cli, ["dlq", "list", "--service", "notifier"]) == 0
            listed = capsys.readouterr().out
            assert str(letter.event_id) in listed and "open" in listed

            mail.refusing.clear()  # the fix
            assert await asyncio.to_thread(cli, ["dlq", "replay", str(letter.event_id)]) == 0
            assert "replayed to notifier" in capsys.readouterr().out

            async def delivered() -> bool:
                return mail.count(address) == 1

            await eventually(delivered, 60, "the e-mail after the replay")

            async def resolved() -> str | None:
                await asyncio.to_thread(cli, ["dlq", "list"])
                out = capsys.readouterr().out
                return out if f"{letter.event_id}" in out and "applied" in out else None

            await eventually(resolved, 30, "the replay's outcome in `dlq list`")
            processed = (await _stats(stack.notifier))["processed"]

            assert await asyncio.to_thread(cli, ["dlq", "replay", "--all"]) == 0
            assert "already resolved" in capsys.readouterr().out
            assert (await _stats(stack.notifier))["processed"] == processed
            assert mail.count(address) == 1
            assert await asyncio.to_thread(cli, ["dlq", "show", str(letter.event_id)]) == 0
            shown = json.loads(capsys.readouterr().out)
            assert shown["outcome"]["status"] == "applied"
            assert shown["original_headers"]["event-type"] == "SealedMatchProposed"


async def test_replay_skips_a_record_superseded_by_a_newer_one_for_the_same_key_and_says_when_the_source_is_gone(
    infra: InfraHandle, common: CommonSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_environment(infra, common, monkeypatch)
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
            citizen_id, _ = await _submit(client)
            await _ranked(client, citizen_id)
        first = await _stats(stack.matcher)

        newer_version = MatchRequested(correlation_id="too-new", citizen_id=citizen_id).model_dump(mode="json")
        newer_version["schema_version"] = 2
        fresh = MatchRequested(correlation_id="fresh", citizen_id=citizen_id)
        producer = KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
        for value in (json.dumps(newer_version).encode(), fresh.model_dump_json().encode()):
            producer.send(common.topics.citizens, key=citizen_id.encode(), value=value).get(30)

        async def both_consumed() -> bool:
            now = await _stats(stack.matcher)
            return bool(now["processed"] >= first["processed"] + 1 and now["dead_lettered"] >= 1)

        await eventually(both_consumed, 60, "the matcher to dead-letter the first and apply the second")
        # A dead letter whose source record is no longer on its topic (as after retention).
        gone = DeadLetter(
            correlation_id="gone",
            service="matcher",
            source_topic=common.topics.citizens,
            source_partition=0,
            source_offset=1_000_000,
            key=None,
            reason="invalid message: test",
            payload_size=1,
        )
        producer.send(common.topics.dead_letters, value=gone.model_dump_json().encode()).get(30)
        producer.close()

        assert await asyncio.to_thread(cli, ["dlq", "replay", "--all", "--service", "matcher"]) == 0
        out = capsys.readouterr().out
        (superseded,) = [d for d in _letters(infra, common).values() if d.service == "matcher" and d.key]
        assert f"{superseded.event_id}: skipped: a newer record for the same key" in out
        assert f"{gone.event_id}: the source record" in out and "is gone from the topic" in out

        assert await asyncio.to_thread(cli, ["dlq", "list", "--service", "matcher", "--reason", "schema_version"]) == 0
        (line,) = capsys.readouterr().out.splitlines()
        assert str(superseded.event_id) in line and " skipped " in line


async def test_one_correlation_id_follows_one_intake_through_the_matcher_to_the_email(
    infra: InfraHandle, common: CommonSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(CorrelationFilter())
    caplog.set_level(logging.INFO)
    trace = f"trace-{uuid.uuid4().hex[:12]}"
    async with smtp_server() as (mail, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
            profile = profile_payload()
            r = await client.post("/v1/citizens", json=profile, headers={"X-Correlation-ID": trace})
            assert r.status_code == 202, r.text
            address = profile["personal"]["email"]
            await eventually(lambda: asyncio.sleep(0, mail.to(address)), 60, "the e-mail")

    mine = [rec for rec in caplog.records if getattr(rec, "correlation_id", None) == trace]
    assert any(rec.name == "services.matcher.handlers" and "proposals" in rec.getMessage() for rec in mine)
    assert any(rec.name == "services.notifier.sending" and "e-mailed" in rec.getMessage() for rec in mine)
