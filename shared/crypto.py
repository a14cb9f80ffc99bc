"""Crypto-shredding of the personal part: one AES-256-GCM key per citizen, kept in Redis.

Kafka keeps what was written until retention ends (and the local broker never compacts), so the
personal part of every event is sealed with the citizen's own key. Erasure deletes the key and
leaves a tombstone: after that nothing sealed for the citizen can be read anywhere, in Kafka, in
Redis or in a backup of either. A key missing *without* a tombstone is an error, never taken as
erasure. Redis holding keys must run with `appendfsync always` and be backed up.
"""

from __future__ import annotations

import base64
import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from redis.asyncio import Redis

from shared.contracts import CitizenProfile, PersonalData, SealedPersonal

_ALG = "AES-256-GCM"


class CitizenErased(Exception):
    """The citizen was erased: their key is gone on purpose."""


class KeyMissing(Exception):
    """The citizen's key is gone and nobody erased them: data loss, to be investigated."""


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


class KeyStore:
    """Per-citizen keys under `<namespace>keys:`; shared by every service that opens personal parts."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}keys:"

    def _key(self, citizen_id: uuid.UUID) -> str:
        return f"{self._p}citizen:{citizen_id}"

    def _tombstone(self, citizen_id: uuid.UUID) -> str:
        return f"{self._p}erased:{citizen_id}"

    async def for_writing(self, citizen_id: uuid.UUID) -> tuple[str, bytes]:
        """The citizen's key, created on first use. Refuses an erased citizen."""
        if await self._r.exists(self._tombstone(citizen_id)):
            raise CitizenErased(f"citizen {citizen_id} was erased")
        await self._r.set(self._key(citizen_id), AESGCM.generate_key(bit_length=256), nx=True)
        return await self.for_reading(citizen_id)

    async def for_reading(self, citizen_id: uuid.UUID) -> tuple[str, bytes]:
        key = await self._r.get(self._key(citizen_id))
        if isinstance(key, bytes) and len(key) == 32:
            return f"c1:{citizen_id}", key
        if await self._r.exists(self._tombstone(citizen_id)):
            raise CitizenErased(f"citizen {citizen_id} was erased")
        raise KeyMissing(f"the encryption key of citizen {citizen_id} is missing, and the citizen was not erased")

    async def is_erased(self, citizen_id: uuid.UUID) -> bool:
        return bool(await self._r.exists(self._tombstone(citizen_id)))

    async def shred(self, citizen_id: uuid.UUID) -> None:
        """Erase: tombstone first, so no reader ever sees a key missing without one."""
        await self._r.set(self._tombstone(citizen_id), b"1")
        await self._r.delete(self._key(citizen_id))

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
