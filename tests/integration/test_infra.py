"""The embedded local default: both servers start on free ports, answer, and stop without a trace."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import psutil
import pytest
import redis

from brobygger import infra as infra_module
from brobygger.infra import LocalInfra
from shared.topics import PARTITIONS, Topics

pytestmark = pytest.mark.integration


def test_local_infra_starts_creates_topics_and_leaves_no_process_behind() -> None:
    local = LocalInfra(topics=Topics(prefix="infra-test.")).start()
    pids = local.pids()
    try:
        assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)
        assert redis.Redis.from_url(local.redis_url).ping()
        from kafka.admin import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=local.kafka_bootstrap, request_timeout_ms=5000)
        described = admin.describe_topics(["infra-test.brobygger.citizens.v1"])
        admin.close()
        assert len(described[0]["partitions"]) == PARTITIONS
    finally:
        local.stop()
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_a_port_already_in_use_is_detected_and_another_is_tried(
    taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = iter([taken_port, None, taken_port])  # broker: taken, then free; Redis: taken, then free
    real_free_port = infra_module.free_port
    monkeypatch.setattr(infra_module, "free_port", lambda: next(ports, None) or real_free_port())
    local = LocalInfra().start()
    try:
        assert not local.kafka_bootstrap.endswith(f":{taken_port}")
        assert not local.redis_url.endswith(f":{taken_port}/0")
    finally:
        local.stop()
