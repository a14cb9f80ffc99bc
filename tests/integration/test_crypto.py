"""Crypto-shredding against a real Redis: keys per citizen, erasure is final, a lost key is an error."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from cryptography.exceptions import InvalidTag
from redis.asyncio import Redis

from shared.contracts import (
    CitizenProfile,
    OpportunityKind,
    PersonalData,
    ProposalTransitioned,
    SealedPersonal,
    SealedProposalTransitioned,
)
from shared.crypto import (
    LOCAL_KEK,
    CitizenErased,
    KeyMissing,
    KeyRing,
    KeySettings,
    KeyStore,
    KeyUnwrapFailed,
    unseal,
)
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.samples import profile_payload

pytestmark = pytest.mark.integration


@pytest.fixture
async def keys(infra: InfraHandle, common: CommonSettings) -> AsyncIterator[KeyStore]:
    redis = Redis.from_url(infra.redis_url)
    yield KeyStore(redis, common.namespace, _ring())
    await redis.aclose()


def _ring(previous: tuple[bytes, ...] = ()) -> KeyRing:
    return KeyRing(current=os.urandom(32), previous=previous)


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


async def test_redis_holds_the_citizens_key_only_wrapped_by_a_kek_it_never_sees(
    keys: KeyStore, infra: InfraHandle, common: CommonSettings
) -> None:
    citizen = uuid.uuid4()
    _, dek = await keys.for_writing(citizen)
    redis = Redis.from_url(infra.redis_url)
    stored = await redis.get(f"{common.namespace}keys:citizen:{citizen}")
    await redis.aclose()
    assert isinstance(stored, bytes) and stored.startswith(b"w1:")
    assert dek not in stored and base64.b64encode(dek) not in stored


async def test_a_key_does_not_open_with_another_kek(infra: InfraHandle, common: CommonSettings) -> None:
    redis = Redis.from_url(infra.redis_url)
    citizen = uuid.uuid4()
    await KeyStore(redis, common.namespace, _ring()).for_writing(citizen)
    with pytest.raises(KeyUnwrapFailed, match="not configured"):
        await KeyStore(redis, common.namespace, _ring()).for_reading(citizen)
    await redis.aclose()


async def test_rotation_rewraps_every_key_so_the_old_kek_can_be_retired(
    infra: InfraHandle, common: CommonSettings
) -> None:
    redis = Redis.from_url(infra.redis_url)
    old = _ring()
    citizens = [uuid.uuid4() for _ in range(3)]
    deks = [(await KeyStore(redis, common.namespace, old).for_writing(c))[1] for c in citizens]
    new = _ring(previous=(old.current,))
    report = await KeyStore(redis, common.namespace, new).rotate()
    assert report.rewrapped == 3
    assert (await KeyStore(redis, common.namespace, new).rotate()).rewrapped == 0
    retired = KeyRing(current=new.current)  # the old KEK is gone from the configuration
    for citizen, dek in zip(citizens, deks, strict=True):
        assert (await KeyStore(redis, common.namespace, retired).for_reading(citizen))[1] == dek
    await redis.aclose()


async def test_rotation_never_brings_back_a_key_erased_meanwhile(infra: InfraHandle, common: CommonSettings) -> None:
    redis = Redis.from_url(infra.redis_url)
    old = _ring()
    citizen = uuid.uuid4()
    await KeyStore(redis, common.namespace, old).for_writing(citizen)
    await KeyStore(redis, common.namespace, old).shred(citizen)
    await KeyStore(redis, common.namespace, _ring(previous=(old.current,))).rotate()
    assert await redis.get(f"{common.namespace}keys:citizen:{citizen}") is None
    await redis.aclose()


async def test_a_key_stored_before_envelope_encryption_still_opens_and_rotation_wraps_it(
    infra: InfraHandle, common: CommonSettings
) -> None:
    redis = Redis.from_url(infra.redis_url)
    citizen, dek = uuid.uuid4(), os.urandom(32)
    await redis.set(f"{common.namespace}keys:citizen:{citizen}", dek)
    store = KeyStore(redis, common.namespace, _ring())
    assert (await store.for_reading(citizen))[1] == dek
    assert (await store.rotate()).rewrapped >= 1
    stored = await redis.get(f"{common.namespace}keys:citizen:{citizen}")
    assert isinstance(stored, bytes) and stored.startswith(b"w1:") and dek not in stored
    assert (await store.for_reading(citizen))[1] == dek
    await redis.aclose()


def test_production_refuses_a_missing_or_well_known_kek() -> None:
    with pytest.raises(ValueError, match="BROBYGGER_KEK"):
        KeyRing.from_settings(KeySettings(kek=None, kek_file=None), "production")
    with pytest.raises(ValueError, match="local default"):
        KeyRing.from_settings(KeySettings(kek=LOCAL_KEK), "production")
    with pytest.raises(ValueError, match="32 bytes"):
        KeyRing.from_settings(KeySettings(kek=base64.b64encode(b"short").decode()), "local")


async def test_a_lifecycle_step_is_sealed_with_only_its_routing_part_readable(keys: KeyStore) -> None:
    citizen, proposal, opportunity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await keys.for_writing(citizen)
    step = ProposalTransitioned(
        correlation_id="c",
        citizen_id=citizen,
        proposal_id=proposal,
        opportunity_id=opportunity,
        kind=OpportunityKind.ASSOCIATION_ACTIVITY,
        action="retract",
        from_state="shared",
        to_state="retracted",
        actor_role="caseworker",
        actor_id="cw-secret-7",
        cause="consent_withdrawn",
        releases_capacity=True,
        owner_must_delete=True,
        private_channel=True,
    )
    sealed = await keys.seal_event(step)
    assert isinstance(sealed, SealedProposalTransitioned)
    assert (sealed.proposal_id, sealed.opportunity_id, sealed.to_state) == (proposal, opportunity, "retracted")
    assert sealed.releases_capacity and sealed.owner_must_delete
    wire = sealed.model_dump_json()
    assert "cw-secret-7" not in wire and "consent_withdrawn" not in wire and "private_channel" not in wire
    assert await keys.open_event(sealed) == step
    await keys.shred(citizen)
    with pytest.raises(CitizenErased):
        await keys.open_event(sealed)
