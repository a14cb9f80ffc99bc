"""An owner's webhook secret at rest (intake's and the notifier's Redis) and on the owners topic: sealed
under a key derived from the KEK, so whoever reads Redis or the topic without the KEK cannot sign as us."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random

import httpx
import pytest
from redis.asyncio import Redis

from shared.contracts import SealedSecret
from shared.crypto import LOCAL_KEK, KeyRing, KeyUnwrapFailed
from shared.settings import CommonSettings
from shared.webhooks import SecretUnreadable, open_secret
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, eventually, read_topic

pytestmark = pytest.mark.e2e


async def test_a_stored_webhook_secret_cannot_be_read_without_the_kek(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr = str(random.randint(10_000_000, 99_999_999))
    owner = f"company:{cvr}"
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake", "notifier")) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        r = await client.put(
            f"/v1/companies/{cvr}/webhook", json={"url": "http://127.0.0.1:9/hook"}, headers=bearer("company", cvr)
        )
        assert r.status_code == 200, r.text
        secret, registration_id = r.json()["secret"], r.json()["registration_id"]

        redis = Redis.from_url(infra.redis_url)
        try:
            intake_raw = await redis.get(f"{common.namespace}intake:webhook:{owner}")
            notifier_raw = await eventually(
                lambda: redis.get(f"{common.namespace}notifier:webhook:{owner}"), 20, "the notifier's copy"
            )
        finally:
            await redis.aclose()
        records = await asyncio.to_thread(read_topic, infra.kafka_bootstrap, common.topics.owners)
        [published] = [json.loads(value) for key, value in records if key == owner.encode()]

    kek = KeyRing(current=base64.b64decode(LOCAL_KEK))  # the KEK the stack ran with (the local default)
    without = KeyRing(current=os.urandom(32))
    stored = {"intake": intake_raw.decode(), "notifier": notifier_raw.decode(), "topic": json.dumps(published)}
    for where, raw in stored.items():
        assert secret not in raw and secret.removeprefix("whsec_") not in raw, where
        sealed = SealedSecret.model_validate(json.loads(raw)["secret"])
        assert sealed.key_id == kek.current_id, where
        assert open_secret(sealed, kek, owner, registration_id) == secret, where
        with pytest.raises(KeyUnwrapFailed):
            open_secret(sealed, without, owner, registration_id)
        with pytest.raises(SecretUnreadable):  # relabelled as sealed under another KEK: still unreadable
            open_secret(sealed.model_copy(update={"key_id": without.current_id}), without, owner, registration_id)
