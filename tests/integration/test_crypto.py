"""Crypto-shredding against a real Redis: keys per citizen, erasure is final, a lost key is an error."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from cryptography.exceptions import InvalidTag
from redis.asyncio import Redis

from shared.contracts import CitizenProfile, PersonalData, SealedPersonal
from shared.crypto import CitizenErased, KeyMissing, KeyStore, unseal
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.samples import profile_payload

pytestmark = pytest.mark.integration


@pytest.fixture
async def keys(infra: InfraHandle, common: CommonSettings) -> AsyncIterator[KeyStore]:
    redis = Redis.from_url(infra.redis_url)
    yield KeyStore(redis, common.namespace)
    await redis.aclose()


async def test_a_sealed_profile_hides_the_personal_part_and_opens_with_the_citizens_key(keys: KeyStore) -> None:
    citizen = uuid.uuid4()
    profile = CitizenProfile.model_validate(profile_payload())
    sealed = await keys.seal_profile(citizen, profile)
    assert isinstance(sealed.personal, SealedPersonal)
    wire = sealed.model_dump_json()
    assert profile.personal_data().name not in wire and str(profile.personal_data().email) not in wire
    opened = await keys.open_profile(citizen, CitizenProfile.model_validate_json(wire))
    assert opened.personal == profile.personal


async def test_a_sealed_part_does_not_open_for_another_citizen(keys: KeyStore) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    sealed = await keys.seal_profile(a, CitizenProfile.model_validate(profile_payload()))
    assert isinstance(sealed.personal, SealedPersonal)
    _, key_b = await keys.for_writing(b)
    with pytest.raises(InvalidTag):
        unseal(sealed.personal, key_b, b)


async def test_after_erasure_nothing_opens_and_no_new_key_is_made(keys: KeyStore) -> None:
    citizen = uuid.uuid4()
    sealed = await keys.seal_profile(citizen, CitizenProfile.model_validate(profile_payload()))
    await keys.shred(citizen)
    with pytest.raises(CitizenErased):
        await keys.open_profile(citizen, sealed)
    with pytest.raises(CitizenErased):
        await keys.for_writing(citizen)
    assert await keys.is_erased(citizen)


async def test_a_key_lost_without_erasure_is_an_error_not_an_erasure(
    keys: KeyStore, infra: InfraHandle, common: CommonSettings
) -> None:
    citizen = uuid.uuid4()
    sealed = await keys.seal_profile(citizen, CitizenProfile.model_validate(profile_payload()))
    redis = Redis.from_url(infra.redis_url)
    await redis.delete(f"{common.namespace}keys:citizen:{citizen}")
    await redis.aclose()
    with pytest.raises(KeyMissing):
        await keys.open_profile(citizen, sealed)
    assert not await keys.is_erased(citizen)


def test_an_already_open_profile_passes_through_unchanged() -> None:
    profile = CitizenProfile.model_validate(profile_payload())
    assert isinstance(profile.personal, PersonalData)
    assert profile.personal_data() is profile.personal
