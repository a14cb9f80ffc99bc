"""Asks the matcher's internal port for ESCO suggestions, with a short timeout."""

from __future__ import annotations

from typing import Any

import httpx


class SuggestUnavailable(Exception):
    """The matcher did not answer in time, or answered with an error."""


class EscoSuggestClient:
    def __init__(self, base_url: str, internal_token: str, timeout_s: float) -> None:
        self._base = base_url.rstrip("/")
        self._token = internal_token
        self._timeout = timeout_s

    async def suggest(self, q: str, kind: str, limit: int) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                r = await client.get(
                    f"{self._base}/internal/esco/suggest",
                    params={"q": q, "kind": kind, "limit": limit},
                    headers={"X-Internal-Token": self._token},
                )
        except httpx.HTTPError as exc:
            raise SuggestUnavailable(
                f"the matcher, which serves ESCO suggestions, did not answer within {self._timeout:g} s "
                f"({type(exc).__name__})"
            ) from exc
        if r.status_code == 503:
            raise SuggestUnavailable("the matcher is still preparing the ESCO suggestions")
        if r.status_code != 200:
            raise SuggestUnavailable(f"the matcher answered {r.status_code} to a suggestion request")
        body: dict[str, Any] = r.json()
        return body
