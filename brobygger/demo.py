"""Loads the Holbæk demo catalogue and sample intakes through the intake API."""

from __future__ import annotations

import json
import time
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
            oid = item["id"]
            post(client, "/v1/opportunities", item["payload"], f"demo-opportunity-{oid}", f"opportunity {oid}")
            counts["opportunities"] += 1
        if echo:
            print(f"  loaded {counts['opportunities']} opportunities", flush=True)
        samples = data["intakes"] if intakes is None else data["intakes"][:intakes]
        for n, profile in enumerate(samples):
            response = post(client, "/v1/citizens", profile, f"demo-intake-{n}", f"sample intake {n}")
            counts["intakes"] += 1
            if echo:
                print(f"  sample intake {n + 1}: citizen {response.json()['citizen_id']}", flush=True)
    return counts


def post(
    client: httpx.Client, url: str, payload: dict[str, Any], key: str, what: str, patience_s: float = 180.0
) -> httpx.Response:
    """POST with an Idempotency-Key, waiting as `Retry-After` says while the API answers 429.

    Writes are limited per token and minute, and a second `make run` soon after the first sends the
    whole demo again (the keys make it a no-op): it waits, then the same request goes again.
    """
    waited = 0.0
    while True:
        response = client.post(url, json=payload, headers={"Idempotency-Key": key})
        if response.status_code != 429 or waited >= patience_s:
            _check(response, what)
            return response
        wait = min(float(response.headers.get("Retry-After", "5")), patience_s)
        print(f"  the intake API asks to slow down; {what} again in {wait:.0f} s", flush=True)
        time.sleep(wait)
        waited += wait


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code >= 400:
        raise RuntimeError(f"the intake API refused {what}: {response.status_code} {response.text[:500]}")
