"""A stream service as a real process: alive before it is ready, and SIGTERM finishes in-flight work.

The notifier runs as its own process (as in production); intake and matcher run in this process.
While the notifier is in the middle of an e-mail, SIGTERM must let it finish the e-mail, commit the
offset and exit within the shutdown timeout (default 10 s), so a restart never sends it again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from brobygger.infra import die_with_parent, free_port, stop_process
from shared.contracts import proposal_event_adapter
from shared.settings import CommonSettings, KafkaSettings
from tests.conftest import InfraHandle
from tests.e2e.smtp_handlers import SlowMail, serving
from tests.e2e.stack import running_stack
from tests.helpers import bearer, eventually, read_topic
from tests.samples import profile_payload

pytestmark = pytest.mark.e2e

SHUTDOWN_TIMEOUT_S = KafkaSettings.model_fields["shutdown_timeout_s"].default


def _notifier(
    infra: InfraHandle, common: CommonSettings, port: int, smtp_port: int, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
        "KAFKA_SESSION_TIMEOUT_MS": "2000",
        "KAFKA_HEARTBEAT_INTERVAL_MS": "300",
        "REDIS_URL": infra.redis_url,
        "BROBYGGER_NAMESPACE": common.namespace,
        "NOTIFIER_PORT": str(port),
        "NOTIFIER_SMTP_PORT": str(smtp_port),
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "brobygger.cli", "notifier"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )


def _committed(infra: InfraHandle, group: str) -> dict[TopicPartition, int]:
    admin = KafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap, request_timeout_ms=5000)
    try:
        found = admin.list_group_offsets({group: None})[group]
        return {tp: meta.offset for tp, meta in found.items() if meta.offset > 0}
    finally:
        admin.close()


def _end_offsets(infra: InfraHandle, topic: str) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=infra.kafka_bootstrap, request_timeout_ms=5000)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return {tp: offset for tp, offset in consumer.end_offsets(tps).items() if offset > 0}
    finally:
        consumer.close()


async def test_the_notifier_is_alive_before_ready_and_on_sigterm_finishes_the_email_commits_and_exits_in_time(
    infra: InfraHandle, common: CommonSettings, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "notifier.log"
    async with (
        serving(SlowMail()) as (mail, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake", "matcher")) as stack,
    ):
        process = _notifier(infra, common, port, smtp_port, log)
        try:
            url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(timeout=5) as probe:

                async def alive_but_not_ready() -> dict[str, Any] | None:
                    try:
                        if (await probe.get(f"{url}/healthz")).status_code != 200:
                            return None
                    except httpx.TransportError:
                        return None
                    ready = await probe.get(f"{url}/readyz")
                    return {**ready.json(), "code": ready.status_code}

                first = await eventually(alive_but_not_ready, 60, "the notifier's /healthz")
                assert first["code"] == 503 and first["consumers_joined"] is False, first

                async def ready() -> bool:
                    return (await probe.get(f"{url}/readyz")).status_code == 200

                await eventually(ready, 60, "the notifier to join its consumer groups")

            async with httpx.AsyncClient(base_url=stack.api, timeout=10, headers=bearer()) as client:
                profile = profile_payload()
                r = await client.post("/v1/citizens", json=profile)
                assert r.status_code == 202, r.text

            assert await asyncio.to_thread(mail.started.wait, 60), "the notifier never started the e-mail"
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(process.wait, SHUTDOWN_TIMEOUT_S + 5)
            elapsed = time.monotonic() - started
        finally:
            stop_process(process)

        # uvicorn re-raises the signal once its shutdown is complete: that is a clean exit.
        assert code in (0, -signal.SIGTERM), log.read_text()
        assert "Application shutdown complete" in log.read_text()
        assert elapsed < SHUTDOWN_TIMEOUT_S, f"took {elapsed:.1f} s"
        assert mail.delivered == [profile["personal"]["email"]]
        group = common.topics.group("notifier", "proposals")
        assert _committed(infra, group) == _end_offsets(infra, common.topics.proposals)

        records = read_topic(infra.kafka_bootstrap, common.topics.proposals)
        (ranking,) = [proposal_event_adapter.validate_json(v) for _, v in records]
        lines = [line for line in log.read_text().splitlines() if "e-mailed" in line]
        assert len(lines) == 1 and f"cid={ranking.correlation_id}" in lines[0], log.read_text()
