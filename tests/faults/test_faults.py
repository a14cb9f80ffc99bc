"""Nothing is lost and nothing is doubled when a process crashes, Redis restarts or the broker stalls.

Each scenario sends 300 profiles (more in the soak run, scripts/soak.py) through the intake API at
a steady rate while one thing fails, waits until every consumer group has committed to the end, and
then counts: every profile has exactly one current ranking, and every citizen got exactly the
e-mails the notification rule says (today one per ranking: one distinct Message-ID; a resend after
a crash keeps the Message-ID).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid

import pytest
from kafka import KafkaProducer

from shared.settings import KafkaSettings
from tests.faults.harness import Driver, System, Verdict, crash_and_restart, drive_with_fault, running_system
from tests.helpers import eventually, poison_records
from tests.samples import profile_payload

pytestmark = pytest.mark.faults

# `scripts/soak.py` runs the same scenarios longer and bigger through these two variables.
N = int(os.environ.get("BROBYGGER_FAULTS_PROFILES", "300"))
#: Every service that reads the citizens topic dead-letters its poison (intake: the lifecycle).
CITIZEN_READERS = ("intake", "matcher", "notifier")
RATE = float(os.environ.get("BROBYGGER_FAULTS_RATE", "40"))


async def _judge(system: System, scenario: str, answers: list, started: float, report: list[Verdict]) -> Verdict:  # type: ignore[type-arg]
    await system.settle()
    verdict = await system.verdict(scenario, answers, started)
    report.append(verdict)
    assert verdict.accepted == N, f"{N - verdict.accepted} profiles were never accepted: {verdict.line()}"
    assert verdict.lost == 0, f"{verdict.line()}\n" + "\n".join(verdict.problems)
    assert verdict.duplicated == 0, f"{verdict.line()}\n" + "\n".join(verdict.problems)
    assert set(verdict.answers_5xx) <= {503}, f"a 5xx other than 503: {verdict.line()}"
    return verdict


async def test_a_matcher_killed_mid_stream_and_restarted_loses_and_doubles_nothing(report: list[Verdict]) -> None:
    async with running_system() as system:
        crash = crash_and_restart(system.services["matcher"], down_while=(N // 3, N // 2))
        started = time.monotonic()
        answers = await drive_with_fault(system, crash, n=N, rate=RATE)
        verdict = await _judge(system, "matcher SIGKILL + restart", answers, started, report)
    assert not verdict.answers_5xx and verdict.dead_letters == 0, verdict.line()


async def test_a_notifier_killed_mid_stream_and_restarted_sends_each_ranking_once(report: list[Verdict]) -> None:
    async with running_system() as system:
        crash = crash_and_restart(system.services["notifier"], down_while=(N // 3, N // 2))
        started = time.monotonic()
        answers = await drive_with_fault(system, crash, n=N, rate=RATE)
        verdict = await _judge(system, "notifier SIGKILL + restart", answers, started, report)
    assert not verdict.answers_5xx and verdict.dead_letters == 0, verdict.line()
    # The rule: at most one resend after a crash, always with the same Message-ID.
    assert verdict.raw_deliveries <= N + 1, verdict.line()


async def test_two_matchers_in_one_group_one_killed_its_partitions_move_to_the_other(report: list[Verdict]) -> None:
    async with running_system(two_matchers=True) as system:
        second = system.services["matcher-2"]

        async def crash(driver: Driver) -> None:
            await driver.reached(N // 3)
            second.kill(signal.SIGKILL)

        started = time.monotonic()
        answers = await drive_with_fault(system, crash, n=N, rate=RATE)
        verdict = await _judge(system, "two matchers, one SIGKILL", answers, started, report)
    assert not verdict.answers_5xx and verdict.dead_letters == 0, verdict.line()


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
async def test_redis_stopped_mid_stream_and_restarted_from_its_append_only_file_loses_nothing(
    report: list[Verdict], how: signal.Signals
) -> None:
    async with running_system() as system:

        async def outage(driver: Driver) -> None:
            await driver.reached(N // 3)
            await asyncio.to_thread(system.infra.stop_redis, how)
            await driver.reached(N // 3 + int(2 * RATE))  # down for about two seconds of the stream
            await asyncio.to_thread(system.infra.restart_redis)

        started = time.monotonic()
        answers = await drive_with_fault(system, outage, n=N, rate=RATE)
        verdict = await _judge(system, f"Redis {how.name} + restart (AOF)", answers, started, report)
    # A server that is down is transient: it pauses and retries, it never dead-letters.
    assert verdict.dead_letters == 0, verdict.line()


async def test_a_broker_stopped_for_15_s_then_continued_loses_and_doubles_nothing(report: list[Verdict]) -> None:
    async with running_system() as system:

        async def stall(driver: Driver) -> None:
            await driver.reached(N // 3)
            system.infra.pause_broker()
            try:
                await asyncio.sleep(15)  # the fault itself: a broker that answers nothing for 15 s
            finally:
                system.infra.resume_broker()

        started = time.monotonic()
        answers = await drive_with_fault(system, stall, n=N, rate=RATE)
        verdict = await _judge(system, "broker SIGSTOP 15 s + SIGCONT", answers, started, report)
    assert verdict.dead_letters == 0, verdict.line()


async def test_poison_in_the_stream_is_dead_lettered_at_once_and_a_replay_after_the_fix_delivers_once(
    report: list[Verdict],
) -> None:
    payloads = [profile_payload() for _ in range(N)]
    refused = payloads[N // 2]["personal"]["email"]  # its mailbox refuses until the fix
    async with running_system() as system:
        system.mail.refusing.add(refused)
        poisoned: dict[tuple[int, int], str] = {}

        async def poison(driver: Driver) -> None:
            await driver.reached(N // 3)
            poisoned.update(await asyncio.to_thread(_send_poison, system))

        started = time.monotonic()
        answers = await drive_with_fault(system, poison, n=N, rate=RATE, payloads=payloads)
        await system.settle()

        letters = await asyncio.to_thread(system.dead_letters)
        where = {(d["service"], d["source_partition"], d["source_offset"]): d for d in letters.values()}
        for (partition, offset), kind in poisoned.items():
            for service in CITIZEN_READERS:
                assert (service, partition, offset) in where, f"{kind}: no dead letter from {service}"
        (mailbox_letter,) = [d for d in letters.values() if d["source_topic"] == system.topics.proposals]
        assert mailbox_letter["service"] == "notifier" and "refused" in mailbox_letter["reason"]
        found = sorted((d["service"], d["reason"][:60]) for d in letters.values())
        assert len(letters) == len(CITIZEN_READERS) * len(poisoned) + 1, found
        assert not system.mail.to(refused)

        system.mail.refusing.clear()  # the fix
        assert "replayed to notifier" in system.cli("dlq", "replay", mailbox_letter["event_id"])
        try:
            await eventually(lambda: asyncio.sleep(0, system.mail.to(refused)), 30, "the e-mail after the replay")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{system.cli('dlq', 'list')}\n{system.logs()}") from None
        await system.settle()
        listed = system.cli("dlq", "list", "--service", "notifier")
        assert any(mailbox_letter["event_id"] in line and "applied" in line for line in listed.splitlines()), listed
        assert "already resolved" in system.cli("dlq", "replay", mailbox_letter["event_id"])
        await system.settle()
        verdict = await _judge(system, "poison ×5 + a refused mailbox, replay", answers, started, report)
    assert len(system.mail.to(refused)) == 1, verdict.line()


def _send_poison(system: System) -> dict[tuple[int, int], str]:
    """The five kinds of poison on the citizens topic, sharing partitions with real citizens; where each landed."""
    limit = KafkaSettings.model_fields["max_record_bytes"].default
    producer = KafkaProducer(bootstrap_servers=system.infra.kafka_bootstrap, acks="all", max_request_size=4 * limit)
    try:
        landed = {}
        for kind, value in poison_records(limit).items():
            sent = producer.send(system.topics.citizens, key=str(uuid.uuid4()).encode(), value=value).get(30)
            landed[(sent.partition, sent.offset)] = kind
        return landed
    finally:
        producer.close()
