"""Stopping a service's background loops for sure.

A background loop (a sweeper, the reverse-matching loop, the catalogue follower) stops when its task
is cancelled. On Python 3.11 a cancellation can be lost on its way in: `asyncio.wait_for` and some
libraries' timeouts swallow it when the awaited call finishes at the same moment. The loop then goes
round again and the service never stops (seen as a test hanging in the service's shutdown). `stop`
cancels again until the task has ended, within a bound, and says when it had to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

log = logging.getLogger(__name__)


async def stop(task: asyncio.Task[Any] | None, *, timeout_s: float = 10.0, recancel_s: float = 1.0) -> None:
    """Cancel `task` and wait for it to end, cancelling again every `recancel_s` if a cancellation was lost.

    Gives up after `timeout_s` with a warning (shutdown goes on; the process is ending anyway). The
    task's own exception, if it failed before, is not raised here: a stopping service has no use for it.
    """
    if task is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    attempts = 0
    while not task.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            log.warning("background task %s did not stop within %g s", task.get_name(), timeout_s)
            return
        if attempts:
            log.warning("background task %s lost a cancellation; cancelling again", task.get_name())
        task.cancel()
        attempts += 1
        # Waiting without awaiting the task itself: a cancellation of *this* coroutine stays ours.
        await asyncio.wait({task}, timeout=min(recancel_s, remaining))
    with contextlib.suppress(BaseException):
        task.result()
