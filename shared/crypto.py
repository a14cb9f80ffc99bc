"""Crypto-shredding: one AES-256-GCM key per citizen, kept in Redis wrapped by a key-encryption key.

Kafka keeps what was written until retention ends (and the local broker never compacts), so the
personal part of every event is sealed with the citizen's own key (the data-encryption key, DEK).
The DEK is stored in Redis only *wrapped* (encrypted) by a key-encryption key (KEK) that never
enters Redis: it comes from the environment or a file (a KMS or Vault delivers it in production,
see SECURITY.md). Erasure deletes the wrapped DEK, leaves a tombstone, and asks Redis to rewrite
its append-only file, so the deleted DEK is not left in a file on disk either. A key missing
*without* a tombstone is an error, never taken as erasure.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.contracts import CitizenProfile, Event, PersonalData, Sealed, SealedCitizenEvent, SealedPersonal
from shared.contracts.events import OPENED_TYPES, SEALED_TYPES
from shared.records import Transient

log = logging.getLogger(__name__)

_ALG = "AES-256-GCM"
UNWRAPPED = "unwrapped"
#: Known to everyone who reads this file: good for tests and a laptop, refused in production mode.
LOCAL_KEK = base64.b64encode(hashlib.sha256(b"brobygger-local-kek-not-a-secret").digest()).decode()


class CitizenErased(Exception):
    """The citizen was erased: their key is gone on purpose."""


class KeyMissing(Exception):
    """The citizen's key is gone and nobody erased them: data loss, to be investigated."""


class KeyUnwrapFailed(Transient):
    """A stored key does not open with any configured key-encryption key (wrong or missing KEK).

    Transient: a configuration to fix, not a bad record; consumers pause and retry, nothing is dead-lettered.
    """


def _aad(citizen_id: uuid.UUID) -> bytes:
    # Binds a ciphertext to its citizen: a sealed part copied onto another citizen will not open.
    return f"brobygger:personal:v1:{citizen_id}".encode()


def seal(personal: PersonalData, key: bytes, key_id: str, citizen_id: uuid.UUID) -> SealedPersonal:
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, personal.model_dump_json().encode(), _aad(citizen_id))
    return SealedPersonal(
        alg=_ALG,
        key_id=key_id,
        nonce=base64.b64encode(nonce).decode(),
        ciphertext=base64.b64encode(ciphertext).decode(),
    )


def unseal(sealed: SealedPersonal, key: bytes, citizen_id: uuid.UUID) -> PersonalData:
    plain = AESGCM(key).decrypt(base64.b64decode(sealed.nonce), base64.b64decode(sealed.ciphertext), _aad(citizen_id))
    return PersonalData.model_validate_json(plain)


def _event_aad(event_type: str, citizen_id: uuid.UUID, event_id: uuid.UUID) -> bytes:
    # Binds sealed content to its type, citizen and event: it opens nowhere else.
    return f"brobygger:event:v1:{event_type}:{citizen_id}:{event_id}".encode()


def _text_aad(purpose: str, citizen_id: uuid.UUID, event_id: uuid.UUID) -> bytes:
    return f"brobygger:text:v1:{purpose}:{citizen_id}:{event_id}".encode()


def seal_bytes(plain: bytes, key: bytes, key_id: str, aad: bytes) -> Sealed:
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, plain, aad)
    return Sealed(
        key_id=key_id, nonce=base64.b64encode(nonce).decode(), ciphertext=base64.b64encode(ciphertext).decode()
    )


def open_bytes(sealed: Sealed, key: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(base64.b64decode(sealed.nonce), base64.b64decode(sealed.ciphertext), aad)


# Key-encryption keys -----------------------------------------------------------------------------


class KeySettings(BaseSettings):
    """`BROBYGGER_KEK*`: the key-encryption key(s). Never stored in Redis, never logged."""

    model_config = SettingsConfigDict(env_prefix="BROBYGGER_", extra="ignore")

    kek: SecretStr | None = Field(
        default=None, description="The current KEK: 32 random bytes, base64. Wraps every new citizen key."
    )
    kek_file: Path | None = Field(
        default=None, description="A file holding the current KEK (base64); used when BROBYGGER_KEK is unset."
    )
    kek_previous: SecretStr | None = Field(
        default=None, description="Earlier KEKs (comma-separated base64), still accepted for unwrapping until rotated."
    )


def _decode_kek(text: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise ValueError(f"{name} is not valid base64") from exc
    if len(raw) != 32:
        raise ValueError(f"{name} must be 32 bytes (base64 of 32 random bytes), not {len(raw)}")
    return raw


def kek_id(kek: bytes) -> str:
    """A short, one-way label for a KEK: says which KEK wrapped a key, reveals nothing of it."""
    return hashlib.sha256(b"brobygger-kek-id\x00" + kek).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    """The current KEK, which wraps, and earlier ones, which still unwrap until `rotate` re-wraps."""

    current: bytes
    previous: tuple[bytes, ...] = ()

    @classmethod
    def from_settings(cls, settings: KeySettings, mode: str) -> KeyRing:
        """The ring from settings; the well-known local KEK only in local mode."""
        if settings.kek is not None:
            current = _decode_kek(settings.kek.get_secret_value(), "BROBYGGER_KEK")
        elif settings.kek_file is not None:
            current = _decode_kek(settings.kek_file.read_text(), f"BROBYGGER_KEK_FILE ({settings.kek_file})")
        elif mode == "production":
            raise ValueError("BROBYGGER_KEK (or BROBYGGER_KEK_FILE) must be set in production mode")
        else:
            current = base64.b64decode(LOCAL_KEK)
        if mode == "production" and current == base64.b64decode(LOCAL_KEK):
            raise ValueError("BROBYGGER_KEK is the local default, which everyone knows; set a key of your own")
        previous = tuple(
            _decode_kek(part, "BROBYGGER_KEK_PREVIOUS")
            for part in (settings.kek_previous.get_secret_value() if settings.kek_previous else "").split(",")
            if part.strip()
        )
        return cls(current=current, previous=previous)

    def derive(self, purpose: str) -> bytes:
        """A secret for one purpose (e.g. candidate pseudonyms), derived from the current KEK, never stored.

        Rotating the KEK changes it: pseudonyms derived from it change with the rotation.
        """
        return _derive(self.current, purpose)

    def derive_for(self, purpose: str, wanted_kek_id: str) -> bytes:
        """The purpose's key derived from the KEK with this id (current or earlier): opens what it sealed.

        `KeyUnwrapFailed` (transient: a configuration to fix) when no configured KEK has that id.
        """
        for kek in (self.current, *self.previous):
            if kek_id(kek) == wanted_kek_id:
                return _derive(kek, purpose)
        raise KeyUnwrapFailed(
            f"a {purpose} key was derived from KEK {wanted_kek_id}, which is not configured "
            "(keep it in BROBYGGER_KEK_PREVIOUS while anything sealed under it is in use)"
        )

    @property
    def current_id(self) -> str:
        return kek_id(self.current)

    def wrap(self, dek: bytes, citizen_id: uuid.UUID) -> bytes:
        nonce = os.urandom(12)
        sealed = AESGCM(self.current).encrypt(nonce, dek, _wrap_aad(citizen_id))
        return f"w1:{self.current_id}:".encode() + base64.b64encode(nonce + sealed)

    def unwrap(self, stored: bytes, citizen_id: uuid.UUID) -> tuple[bytes, str]:
        """The DEK and the id of the KEK that wrapped it (`unwrapped` for a key stored before wrapping)."""
        if len(stored) == 32 and not stored.startswith(b"w1:"):
            return stored, UNWRAPPED  # written before envelope encryption; `rotate` wraps it
        try:
            version, wrapped_by, blob = stored.split(b":", 2)
        except ValueError as exc:
            raise KeyUnwrapFailed(f"the key of citizen {citizen_id} is not in the wrapped format") from exc
        if version != b"w1":
            raise KeyUnwrapFailed(f"the key of citizen {citizen_id} has unknown format {version[:8]!r}")
        raw = base64.b64decode(blob)
        for kek in (self.current, *self.previous):
            if kek_id(kek).encode() != wrapped_by:
                continue
            try:
                return AESGCM(kek).decrypt(raw[:12], raw[12:], _wrap_aad(citizen_id)), wrapped_by.decode()
            except InvalidTag as exc:
                raise KeyUnwrapFailed(f"the key of citizen {citizen_id} does not open with its KEK") from exc
        raise KeyUnwrapFailed(
            f"the key of citizen {citizen_id} was wrapped by KEK {wrapped_by.decode()}, which is not configured "
            "(set it in BROBYGGER_KEK_PREVIOUS until `brobygger keys rotate` has re-wrapped every key)"
        )


def _derive(kek: bytes, purpose: str) -> bytes:
    return hmac.new(kek, f"brobygger-derived-secret\x00{purpose}".encode(), hashlib.sha256).digest()


def _wrap_aad(citizen_id: uuid.UUID) -> bytes:
    return f"brobygger:dek:v1:{citizen_id}".encode()


# The key store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationReport:
    rewrapped: int
    unchanged: int


class KeyStore:
    """Per-citizen keys under `<namespace>keys:`; shared by every service that opens personal parts."""

    def __init__(self, redis: Redis, prefix: str, ring: KeyRing) -> None:
        self._r = redis
        self._p = f"{prefix}keys:"
        self._ring = ring

    def _key(self, citizen_id: uuid.UUID) -> str:
        return f"{self._p}citizen:{citizen_id}"

    def _tombstone(self, citizen_id: uuid.UUID) -> str:
        return f"{self._p}erased:{citizen_id}"

    async def for_writing(self, citizen_id: uuid.UUID) -> tuple[str, bytes]:
        """The citizen's key, created on first use. Refuses an erased citizen."""
        if await self._r.exists(self._tombstone(citizen_id)):
            raise CitizenErased(f"citizen {citizen_id} was erased")
        dek = AESGCM.generate_key(bit_length=256)
        await self._r.set(self._key(citizen_id), self._ring.wrap(dek, citizen_id), nx=True)
        return await self.for_reading(citizen_id)

    async def for_reading(self, citizen_id: uuid.UUID) -> tuple[str, bytes]:
        stored = await self._r.get(self._key(citizen_id))
        if isinstance(stored, bytes):
            dek, _ = self._ring.unwrap(stored, citizen_id)
            return f"c1:{citizen_id}", dek
        if await self._r.exists(self._tombstone(citizen_id)):
            raise CitizenErased(f"citizen {citizen_id} was erased")
        raise KeyMissing(f"the encryption key of citizen {citizen_id} is missing, and the citizen was not erased")

    async def is_erased(self, citizen_id: uuid.UUID) -> bool:
        return bool(await self._r.exists(self._tombstone(citizen_id)))

    async def shred(self, citizen_id: uuid.UUID) -> None:
        """Erase: tombstone first, so no reader ever sees a key missing without one."""
        await self._r.set(self._tombstone(citizen_id), b"1")
        await self._r.delete(self._key(citizen_id))

    async def rewrite_files(self, wait_s: float = 60.0) -> bool:
        """Have Redis rewrite its append-only file, so deleted keys leave no copy in it.

        A rewrite that started before the deletion would copy the key into the new file: if one is
        running, wait for it to end and start another. False when Redis refuses (for example a managed
        Redis without BGREWRITEAOF): the wrapped key is still useless without the KEK, and SECURITY.md
        says what to do.
        """
        deadline = asyncio.get_running_loop().time() + wait_s
        while True:
            try:
                await self._r.bgrewriteaof()
                return True
            except ResponseError as exc:
                if "already in progress" not in str(exc) or asyncio.get_running_loop().time() > deadline:
                    log.warning("append-only file rewrite after an erasure refused: %s", str(exc)[:200])
                    return False
            await asyncio.sleep(0.1)

    async def rotate(self, batch: int = 500) -> RotationReport:
        """Re-wrap every key not wrapped by the current KEK; then rewrite the append-only file.

        `SET … XX` writes only over a key that still exists, so a citizen erased meanwhile stays erased.
        """
        rewrapped = unchanged = 0
        async for name in self._r.scan_iter(match=f"{self._p}citizen:*", count=batch):
            key = name.decode() if isinstance(name, bytes) else str(name)
            citizen_id = uuid.UUID(key.rsplit(":", 1)[1])
            stored = await self._r.get(key)
            if not isinstance(stored, bytes):
                continue
            dek, wrapped_by = self._ring.unwrap(stored, citizen_id)
            if wrapped_by == self._ring.current_id:
                unchanged += 1
                continue
            await self._r.set(key, self._ring.wrap(dek, citizen_id), xx=True)
            rewrapped += 1
        if rewrapped:
            await self.rewrite_files()
        return RotationReport(rewrapped=rewrapped, unchanged=unchanged)

    async def seal_event(self, event: Event, *, create_key: bool = False) -> SealedCitizenEvent:
        """The sealed counterpart of a citizen event (see `SEALED_TYPES`); a profile's personal part inside
        is sealed too, as the services keep it. Only intake creates keys; anyone else sealing for a citizen
        without a key gets `CitizenErased` or `KeyMissing`."""
        sealed_type = SEALED_TYPES[type(event)]
        citizen_id: uuid.UUID = getattr(event, "citizen_id")  # noqa: B009 - every type in SEALED_TYPES has it
        key_id, key = await (self.for_writing(citizen_id) if create_key else self.for_reading(citizen_id))
        profile = getattr(event, "profile", None)
        if isinstance(profile, CitizenProfile) and isinstance(profile.personal, PersonalData):
            personal = seal(profile.personal, key, key_id, citizen_id)
            event = event.model_copy(update={"profile": profile.model_copy(update={"personal": personal})})
        event_type = sealed_type.model_fields["event_type"].default
        aad = _event_aad(event_type, citizen_id, event.event_id)
        # A sealed type may keep a few fields readable for routing (e.g. the lifecycle's ids and state).
        routing = {
            name: getattr(event, name)
            for name in sealed_type.model_fields
            if name not in SealedCitizenEvent.model_fields and name != "event_type"
        }
        return sealed_type(
            event_id=event.event_id,
            occurred_at=event.occurred_at,
            schema_version=event.schema_version,
            correlation_id=event.correlation_id,
            citizen_id=citizen_id,
            sealed=seal_bytes(event.model_dump_json().encode(), key, key_id, aad),
            **routing,
        )

    async def open_event(self, event: SealedCitizenEvent) -> Event:
        """The event inside; raises CitizenErased or KeyMissing, and InvalidTag for content moved or altered."""
        _, key = await self.for_reading(event.citizen_id)
        aad = _event_aad(getattr(event, "event_type"), event.citizen_id, event.event_id)  # noqa: B009
        opened = OPENED_TYPES[type(event)].model_validate_json(open_bytes(event.sealed, key, aad))
        if opened.event_id != event.event_id:
            raise ValueError(f"sealed event {event.event_id} holds event {opened.event_id}")
        return opened

    async def seal_text(self, citizen_id: uuid.UUID, event_id: uuid.UUID, purpose: str, text: str) -> Sealed:
        key_id, key = await self.for_reading(citizen_id)
        return seal_bytes(text.encode(), key, key_id, _text_aad(purpose, citizen_id, event_id))

    async def open_text(self, citizen_id: uuid.UUID, event_id: uuid.UUID, purpose: str, sealed: Sealed) -> str:
        _, key = await self.for_reading(citizen_id)
        return open_bytes(sealed, key, _text_aad(purpose, citizen_id, event_id)).decode()

    async def seal_profile(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> CitizenProfile:
        if not isinstance(profile.personal, PersonalData):
            return profile
        key_id, key = await self.for_writing(citizen_id)
        return profile.model_copy(update={"personal": seal(profile.personal, key, key_id, citizen_id)})

    async def open_profile(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> CitizenProfile:
        """The profile with its personal part opened; raises CitizenErased or KeyMissing."""
        if isinstance(profile.personal, PersonalData):
            return profile
        _, key = await self.for_reading(citizen_id)
        return profile.model_copy(update={"personal": unseal(profile.personal, key, citizen_id)})
