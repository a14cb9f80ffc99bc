"""The ten-line webhook receiver in the README accepts a signed delivery and refuses a forged or stale one."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx

from shared.webhooks import signature

README = Path(__file__).resolve().parents[2] / "README.md"


def _receiver() -> Any:
    text = README.read_text(encoding="utf-8")
    code = re.search(r"A receiver, in ten lines:\n\n```python\n(.*?)```", text, re.S)
    assert code, "the README's receiver example"
    lines = code.group(1).strip().splitlines()
    assert len(lines) <= 10, lines
    namespace: dict[str, Any] = {}
    exec(code.group(1).replace('b"whsec_…"', 'b"whsec_test"'), namespace)
    return namespace


async def test_the_readme_receiver_verifies_signatures_and_the_replay_window() -> None:
    ns = _receiver()
    body = b'{"type":"candidate.accepted"}'
    transport = httpx.ASGITransport(app=ns["app"])
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:

        async def post(header: str) -> int:
            headers = {"Brobygger-Signature": header, "Brobygger-Delivery": "d-1", "Content-Type": "application/json"}
            return (await client.post("/brobygger", content=body, headers=headers)).status_code

        assert await post(signature("whsec_test", int(time.time()), body)) == 200 and ns["seen"] == {"d-1"}
        assert await post(signature("another-secret", int(time.time()), body)) == 401
        assert await post(signature("whsec_test", int(time.time()) - 600, body)) == 401
