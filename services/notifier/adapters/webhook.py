"""Posting a signed webhook to the address that was checked, never following a redirect."""

from __future__ import annotations

from typing import Protocol

import httpx

from shared.webhooks import Target


class WebhookUnreachable(Exception):
    """The receiver could not be reached or did not answer in time (retried with backoff)."""


class WebhookSender(Protocol):
    async def post(self, target: Target, headers: dict[str, str], body: bytes) -> int:
        """The receiver's HTTP status, or `WebhookUnreachable`."""
        ...


class HttpWebhookSender:
    def __init__(self, timeout_s: float) -> None:
        self._timeout = timeout_s
        # Loading the CA bundle takes tens of milliseconds: once per sender, not once per delivery (a
        # context is shared safely; each connection still verifies its own server name).
        self._tls = httpx.create_ssl_context(trust_env=False)

    async def post(self, target: Target, headers: dict[str, str], body: bytes) -> int:
        # Connect to the checked IP; the host name goes in the Host header and as the TLS server name,
        # so the certificate is still verified for the name the owner registered. A client per delivery:
        # no pooled connection is ever reused for another owner's host name on the same address.
        async with httpx.AsyncClient(
            timeout=self._timeout, follow_redirects=False, trust_env=False, verify=self._tls
        ) as client:
            try:
                response = await client.post(
                    target.pinned_url,
                    content=body,
                    headers={
                        **headers,
                        "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
                    },
                    extensions={"sni_hostname": target.host},
                )
            except httpx.HTTPError as exc:
                raise WebhookUnreachable(f"{type(exc).__name__}") from exc
        return response.status_code
