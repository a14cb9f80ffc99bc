"""Loads the Holbæk demo catalogue and sample intakes through the intake API."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import httpx

from brobygger.token import mint

DEMO_FILE = "holbaek_demo.json"
# A fixed subject: idempotency keys are scoped to the caller, so a second load must come from the same one.
DEMO_SUBJECT = "brobygger-demo-loader"


def load_demo_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("brobygger.data").joinpath(DEMO_FILE).read_text("utf-8"))
    return data


def load_demo(
    api: str,
    *,
    intakes: int | None = None,
    timeout_s: float = 30.0,
    echo: bool = True,
    token: str | None = None,
) -> dict[str, int]:
    """POST every opportunity, then the sample intakes. Idempotency keys make a second load a no-op.

    Without `token` it mints a short-lived local admin token (local mode, the local key).
    """
    data = load_demo_data()
    counts = {"opportunities": 0, "intakes": 0}
    token = token or mint("admin", DEMO_SUBJECT, ttl_minutes=30)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api.rstrip("/"), timeout=timeout_s, headers=headers) as client:
        for item in data["opportunities"]:
            response = client.post(
                "/v1/opportunities", json=item["payload"], headers={"Idempotency-Key": f"demo-opportunity-{item['id']}"}
            )
            _check(response, f"opportunity {item['id']}")
            counts["opportunities"] += 1
        if echo:
            print(f"  loaded {counts['opportunities']} opportunities", flush=True)
        samples = data["intakes"] if intakes is None else data["intakes"][:intakes]
        for n, profile in enumerate(samples):
            response = client.post("/v1/citizens", json=profile, headers={"Idempotency-Key": f"demo-intake-{n}"})
            _check(response, f"sample intake {n}")
            counts["intakes"] += 1
            if echo:
                print(f"  sample intake {n + 1}: citizen {response.json()['citizen_id']}", flush=True)
    return counts


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code >= 400:
        raise RuntimeError(f"the intake API refused {what}: {response.status_code} {response.text[:500]}")
