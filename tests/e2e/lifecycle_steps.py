"""Taking a proposal through the lifecycle over the API, as the caseworker and the owner would."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from tests.helpers import eventually


async def proposal_of(client: httpx.AsyncClient, citizen: str, title: str, staff: dict[str, str]) -> str:
    """The id of the citizen's proposal of `title`, once the matcher ranked it and the lifecycle tracks it."""

    async def ranked() -> str | None:
        r = await client.get(f"/v1/citizens/{citizen}/proposals", headers=staff)
        if r.status_code != 200:
            return None
        body = r.json()
        found = [p["proposal_id"] for p in (*body["proposals"], *body["associations"]) if p["title"] == title]
        return found[0] if found else None

    pid = await eventually(ranked, 60, f"a proposal of {title!r}")

    async def tracked() -> bool:
        return (await client.get(f"/v1/proposals/{pid}", headers=staff)).status_code == 200

    await eventually(tracked, 30, "the lifecycle to track the proposal")
    return pid


async def start(
    client: httpx.AsyncClient, citizen: str, pid: str, staff: dict[str, str], owner: dict[str, str], on: dt.date
) -> None:
    """Approve, hand over in person, the citizen's yes, the owner's interest, and the start on `on`."""
    steps: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        (f"/v1/citizens/{citizen}/proposals/{pid}/decision", {"decision": "approve"}, staff),
        (f"/v1/proposals/{pid}/offer-in-person", {}, staff),
        (f"/v1/proposals/{pid}/answer", {"answer": "accept"}, staff),
        (f"/v1/proposals/{pid}/owner-answer", {"answer": "interested"}, owner),
        (f"/v1/proposals/{pid}/start", {"date": on.isoformat()}, owner),
    ]
    for path, body, headers in steps:
        r = await client.post(path, json=body, headers=headers)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
