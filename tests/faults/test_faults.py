"""Nothing is lost and nothing is doubled when a process crashes, Redis restarts or the broker stalls.

Each scenario sends 300 profiles through the intake API at a steady rate while one thing fails,
waits until every consumer group has committed to the end, and then counts: every profile has
exactly one current ranking, and every citizen got exactly the e-mails the notification rule says
(today one per ranking: one distinct Message-ID; a resend after a crash keeps the Message-ID).
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from tests.faults.harness import Driver, System, Verdict, drive_with_fault, running_system

pytestmark = pytest.mark.faults

N = 300
RATE = 40.0


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
        matcher = system.services["matcher"]

        async def crash(driver: Driver) -> None:
            await driver.reached(N // 3)
            matcher.kill(signal.SIGKILL)
            await driver.reached(N // 2)  # the stream goes on while it is down
            matcher.start()
            await matcher.ready()

        started = time.monotonic()
        answers = await drive_with_fault(system, crash, n=N, rate=RATE)
        verdict = await _judge(system, "matcher SIGKILL + restart", answers, started, report)
    assert not verdict.answers_5xx and verdict.dead_letters == 0, verdict.line()


async def test_a_notifier_killed_mid_stream_and_restarted_sends_each_ranking_once(report: list[Verdict]) -> None:
    async with running_system() as system:
        notifier = system.services["notifier"]

        async def crash(driver: Driver) -> None:
            await driver.reached(N // 3)
            notifier.kill(signal.SIGKILL)
            await driver.reached(N // 2)
            notifier.start()
            await notifier.ready()

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
