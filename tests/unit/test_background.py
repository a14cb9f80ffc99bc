"""A service's background loop stops even when a cancellation is lost on its way in."""

from __future__ import annotations

import asyncio
import logging

import pytest

from shared import background


async def test_a_loop_that_swallows_a_cancellation_is_cancelled_again_until_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds = 0

    async def sweeper() -> None:
        nonlocal rounds
        while True:
            rounds += 1
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if rounds < 3:
                    continue  # what Python 3.11's wait_for can do: the cancellation is lost
                raise

    task = asyncio.create_task(sweeper(), name="sweeper")
    await asyncio.sleep(0.02)
    await background.stop(task, timeout_s=5, recancel_s=0.05)
    assert task.cancelled()
    assert "sweeper lost a cancellation" in caplog.text


async def test_a_task_that_never_ends_is_given_up_on_after_the_bound(caplog: pytest.LogCaptureFixture) -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0.02)  # running, so a cancellation reaches its `except`
    with caplog.at_level(logging.WARNING):
        await background.stop(task, timeout_s=0.2, recancel_s=0.05)
    assert not task.done() and "stubborn did not stop within 0.2 s" in caplog.text
    release.set()
    await asyncio.wait({task}, timeout=1)
    assert task.done()


async def test_stopping_a_finished_or_missing_task_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    async def fails() -> None:
        raise RuntimeError("failed earlier")

    task = asyncio.create_task(fails())
    await asyncio.wait({task})
    await background.stop(task)
    await background.stop(None)
    assert caplog.text == ""
