"""After a KEK rotation the stored webhook secrets are re-sealed under the new KEK (real Redis), so the
earlier KEK can be retired and deliveries still sign with the owner's secret."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from redis.asyncio import Redis

from services.notifier.adapters.store import NotifierStore
from shared.contracts import SealedSecret
from shared.crypto import KeyRing
from shared.settings import CommonSettings
from shared.webhooks import new_secret, open_secret, reseal_stored_secrets, seal_secret
from tests.conftest import InfraHandle

pytestmark = pytest.mark.integration


async def test_rotation_reseals_both_stored_copies_so_the_earlier_kek_can_be_retired(
    infra: InfraHandle, common: CommonSettings
) -> None:
    redis = Redis.from_url(infra.redis_url)
    old = KeyRing(current=os.urandom(32))
    owners = {f"company:{n}": (str(uuid.uuid4()), new_secret()) for n in ("11111111", "22222222")}
    notifier = NotifierStore(redis, common.namespace)
    for owner, (registration, secret) in owners.items():
        record = {"registration_id": registration, "url": "https://hr.example.dk/hook", "occurred_at": 1.0}
        record["secret"] = seal_secret(secret, old, owner, registration).model_dump()
        await redis.set(f"{common.namespace}intake:webhook:{owner}", json.dumps(record))  # as intake keeps it
        await notifier.save_webhook(owner, record)
    legacy = {"registration_id": "r0", "secret": {"nonce": "AAAAAAAAAAAAAAAA", "ciphertext": "AAAA"}}
    await notifier.save_webhook("association:gammel-klub", legacy)  # sealed under the retired webhook key

    new = KeyRing(current=os.urandom(32), previous=(old.current,))
    report = await reseal_stored_secrets(redis, common.namespace, new)
    assert (report.resealed, report.unchanged, report.unreadable) == (4, 0, 1)
    again = await reseal_stored_secrets(redis, common.namespace, new)
    assert (again.resealed, again.unchanged) == (0, 4)

    retired = KeyRing(current=new.current)  # the earlier KEK is gone from the configuration
    for owner, (registration, secret) in owners.items():
        for raw in (
            await redis.get(f"{common.namespace}intake:webhook:{owner}"),
            json.dumps(await notifier.webhook(owner)),
        ):
            assert raw is not None
            sealed = SealedSecret.model_validate(json.loads(raw)["secret"])
            assert open_secret(sealed, retired, owner, registration) == secret
    await redis.aclose()
