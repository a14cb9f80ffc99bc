"""What intake and the notifier agree on about owners' webhooks: which targets are safe, how the
secret is sealed, and how a delivery is signed (and verified, by the receiver in the docs and the tests).

The secret is sealed under a key derived from the key-encryption key (`BROBYGGER_KEK`, see
`shared.crypto`) for this purpose alone: without the KEK a stored or published secret is unreadable.

A target must be HTTPS in production mode and must not resolve to a loopback, private, link-local or
otherwise internal address, so a webhook cannot turn the notifier against the municipality's own
network. The check runs at registration and again at every delivery, and the delivery connects to the
very address that was checked (`Target.ip`), so DNS rebinding between check and connect gains nothing.
Local mode allows loopback, for tests and a laptop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from redis.asyncio import Redis

from shared.contracts import SealedSecret
from shared.crypto import KeyRing, KeyUnwrapFailed

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Brobygger-Signature"
DELIVERY_HEADER = "Brobygger-Delivery"  # the idempotency key: the same for every retry of one delivery
REPLAY_WINDOW_S = 300

Resolver = Callable[[str, int], list[str]]


class UnsafeTarget(ValueError):
    """A webhook URL that must not be called; the message says why (never echoing a secret)."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A checked webhook target: connect to `ip`, and send `host` as Host header and TLS server name."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    ip: str

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        literal = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{self.scheme}://{literal}:{self.port}{self.path}"


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> str | None:
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _refusal(ip.ipv4_mapped, allow_loopback)
    for what, bad in (
        ("a link-local address", ip.is_link_local),
        ("a private address", ip.is_private),
        ("a multicast address", ip.is_multicast),
        ("a reserved address", ip.is_reserved or ip.is_unspecified),
        ("a shared (carrier-grade NAT) address", ip in ipaddress.ip_network("100.64.0.0/10")),
    ):
        if bad:
            return what
    return None


def check_target(
    url: str, *, production: bool, resolver: Resolver = system_resolver, allow_loopback: bool | None = None
) -> Target:
    """The target `url` points at, resolved and checked; `UnsafeTarget` names what is wrong."""
    allow_loopback = (not production) if allow_loopback is None else allow_loopback
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"field `url`: not a valid URL ({exc})") from exc
    if parts.scheme not in ("https", "http"):
        raise UnsafeTarget("field `url`: must start with https://")
    if production and parts.scheme != "https":
        raise UnsafeTarget("field `url`: must be https:// in production mode")
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeTarget("field `url`: needs a host name and no user name or password")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolver(parts.hostname, port)
    except (OSError, UnicodeError) as exc:  # UnicodeError: a host name IDNA cannot encode
        raise UnsafeTarget(f"field `url`: the host `{parts.hostname}` does not resolve") from exc
    if not addresses:
        raise UnsafeTarget(f"field `url`: the host `{parts.hostname}` does not resolve")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        why = _refusal(ip, allow_loopback)
        if why:
            raise UnsafeTarget(f"field `url`: `{parts.hostname}` resolves to {why} ({ip}), which is not allowed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url=url, scheme=parts.scheme, host=parts.hostname, port=port, path=path, ip=addresses[0])


# Secrets ------------------------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh signing secret, shown to the owner once."""
    return "whsec_" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


#: The purpose the secrets' sealing key is derived from the KEK for (`KeyRing.derive`); never stored.
SECRET_PURPOSE = "webhook-secrets"


class SecretUnreadable(ValueError):
    """A sealed secret that can never be opened (altered, moved, or sealed under the retired key): the owner
    must register the webhook again. A KEK that is merely not configured raises `KeyUnwrapFailed` instead."""


def _aad(owner: str, registration_id: str) -> bytes:
    return f"brobygger:webhook-secret:v1:{owner}:{registration_id}".encode()


def seal_secret(secret: str, ring: KeyRing, owner: str, registration_id: str) -> SealedSecret:
    """Sealed under the current KEK's webhook-secret key, bound to its owner and registration."""
    nonce = os.urandom(12)
    sealed = AESGCM(ring.derive(SECRET_PURPOSE)).encrypt(nonce, secret.encode(), _aad(owner, registration_id))
    return SealedSecret(
        key_id=ring.current_id, nonce=base64.b64encode(nonce).decode(), ciphertext=base64.b64encode(sealed).decode()
    )


def open_secret(sealed: SealedSecret, ring: KeyRing, owner: str, registration_id: str) -> str:
    """The secret; `KeyUnwrapFailed` when its KEK is not configured, `SecretUnreadable` when it never opens."""
    if sealed.key_id is None:
        raise SecretUnreadable(
            f"the webhook secret of {owner} was sealed under the retired BROBYGGER_WEBHOOK_KEY; register it again"
        )
    key = ring.derive_for(SECRET_PURPOSE, sealed.key_id)
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(sealed.nonce), base64.b64decode(sealed.ciphertext), _aad(owner, registration_id)
        )
    except InvalidTag as exc:
        raise SecretUnreadable(f"the webhook secret of {owner} does not open (altered or moved)") from exc
    return plain.decode()


#: Where the services keep registrations (after the namespace): JSON with `secret` and `registration_id`.
STORED_AT = ("intake:webhook:", "notifier:webhook:")
#: Replace a record only if nobody changed it since it was read (an owner may register again meanwhile).
_RESEAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0
"""


@dataclass(frozen=True)
class ResealReport:
    resealed: int
    unchanged: int
    unreadable: int  # sealed under the retired BROBYGGER_WEBHOOK_KEY, altered, or under a KEK not configured


async def reseal_stored_secrets(redis: Redis, prefix: str, ring: KeyRing) -> ResealReport:
    """After a KEK rotation (`brobygger keys rotate`): re-seal every stored secret under the current KEK, in
    intake's and the notifier's Redis records, so the earlier KEK can be retired. Records already sealed under
    the current KEK are left alone; one an owner replaced meanwhile is left to its new registration."""
    resealed = unchanged = unreadable = 0
    for stored_at in STORED_AT:
        async for name in redis.scan_iter(match=f"{prefix}{stored_at}*", count=500):
            key = name.decode() if isinstance(name, bytes) else str(name)
            raw = await redis.get(key)
            if raw is None:
                continue
            record = json.loads(raw)
            sealed = SealedSecret.model_validate(record["secret"])
            if sealed.key_id == ring.current_id:
                unchanged += 1
                continue
            owner, registration = key[len(prefix) + len(stored_at) :], str(record["registration_id"])
            try:
                secret = open_secret(sealed, ring, owner, registration)
            except (SecretUnreadable, KeyUnwrapFailed) as exc:
                log.warning("webhook secret of %s not re-sealed: %s", owner, exc)
                unreadable += 1
                continue
            record["secret"] = seal_secret(secret, ring, owner, registration).model_dump()
            resealed += bool(await redis.eval(_RESEAL, 1, key, raw, json.dumps(record)))
    return ResealReport(resealed=resealed, unchanged=unchanged, unreadable=unreadable)


# Signatures ---------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: float | None = None, window_s: int = REPLAY_WINDOW_S
) -> bool:
    """What a receiver does: the signature matches and its timestamp is inside the replay window."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > window_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), f"t={timestamp},v1={fields.get('v1', '')}")
