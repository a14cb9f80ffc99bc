"""The demo loader waits out the intake API's write limit instead of failing `make run`.

A second `make run` soon after the first sends the whole demo again; the limit (per token and minute)
answered 429 and the run stopped with "the intake API refused opportunity …". Against a real HTTP
server on a loopback port that answers 429 with Retry-After for its first requests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from brobygger import demo


class _Limited(BaseHTTPRequestHandler):
    refuse: ClassVar[int] = 2
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).seen.append((self.path, self.headers.get("Idempotency-Key")))
        if type(self).refuse > 0:
            type(self).refuse -= 1
            body, status, extra = b'{"error":"rate_limited"}', 429, {"Retry-After": "1"}
        else:
            body, status, extra = json.dumps({"citizen_id": "7" * 32}).encode(), 202, {}
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **extra}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Limited.refuse, _Limited.seen = 2, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Limited)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_429_is_waited_out_and_the_same_request_sent_again(
    server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(demo.time, "sleep", slept.append)
    with httpx.Client(base_url=server) as client:
        r = demo.post(client, "/v1/citizens", {"x": 1}, "demo-intake-0", "sample intake 0")
    assert r.status_code == 202
    assert slept == [1.0, 1.0]  # as Retry-After said, twice
    assert _Limited.seen == [("/v1/citizens", "demo-intake-0")] * 3  # the same key every time
    assert "sample intake 0 again in 1 s" in capsys.readouterr().out


def test_past_its_patience_the_loader_fails_with_what_was_refused(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _Limited.refuse = 100
    monkeypatch.setattr(demo.time, "sleep", lambda s: None)
    with httpx.Client(base_url=server) as client, pytest.raises(RuntimeError, match="refused sample intake 3: 429"):
        demo.post(client, "/v1/citizens", {}, "demo-intake-3", "sample intake 3", patience_s=3)
