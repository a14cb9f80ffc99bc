"""Erasure reaches the disk: after it, no file the system wrote holds the citizen's key or values."""

from __future__ import annotations

import asyncio
import base64
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from brobygger.infra import LocalInfra, create_topics
from shared.crypto import KeyRing, KeySettings
from shared.settings import CommonSettings
from shared.topics import Topics
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer, eventually
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e


@pytest.fixture
def run_folder(tmp_path: Path) -> Iterator[tuple[Path, InfraHandle]]:
    """A broker and a Redis of their own, writing into a run folder this test can search."""
    folder = tmp_path / "run"
    local = LocalInfra(data_dir=folder / "data").start()
    try:
        yield folder, InfraHandle(local.kafka_bootstrap, local.redis_url, local)
    finally:
        local.stop()


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and "mail" not in p.relative_to(folder).parts]


def _holding(folder: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in _files(folder):
        content = path.read_bytes()
        found += [f"{path.name}: {needle[:20]!r}" for needle in needles if needle in content]
    return found


async def test_after_erasure_no_file_in_the_run_folder_holds_the_citizens_key_or_values(
    run_folder: tuple[Path, InfraHandle],
) -> None:
    folder, infra = run_folder
    common = CommonSettings(namespace=f"t{uuid.uuid4().hex[:10]}.")
    create_topics(infra.kafka_bootstrap, list(Topics(prefix=common.namespace).all()))
    tag = uuid.uuid4().hex[:8]
    values = {
        "name": f"Farida Disk{tag}",
        "email": f"farida.{tag}@example.org",
        "note": f"Note on disk {tag}",
        "interest": f"broderi{tag}",
    }
    profile = profile_payload(
        personal={"name": values["name"], "email": values["email"], "caseworker_note": values["note"]},
        interests=[values["interest"]],
    )
    caseworker, admin = bearer("caseworker", "cw-disk", "316"), bearer("admin", "admin-disk")
    ring = KeyRing.from_settings(KeySettings(), common.mode)
    async with smtp_server() as (_mail, smtp_port), running_stack(infra, common, smtp_port) as stack:
        async with httpx.AsyncClient(base_url=stack.api, timeout=10) as client:
            r = await client.post("/v1/opportunities", json=opportunity_payload(), headers=admin)
            assert r.status_code == 202, r.text
            r = await client.post("/v1/citizens", json=profile, headers=caseworker)
            assert r.status_code == 202, r.text
            citizen_id = r.json()["citizen_id"]

            async def ranked() -> bool:
                body = (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=caseworker)).json()
                return bool(body["status"] == "ready")

            await eventually(ranked, 30, "proposals")
            redis = Redis.from_url(infra.redis_url)
            wrapped = await redis.get(f"{common.namespace}keys:citizen:{citizen_id}")
            await redis.aclose()
            assert isinstance(wrapped, bytes)
            dek, _ = ring.unwrap(wrapped, uuid.UUID(citizen_id))
            needles = [dek, base64.b64encode(dek), wrapped, *(v.encode() for v in values.values())]
            # Before erasure the wrapped key is on disk: the search can find what it looks for.
            await eventually(lambda: asyncio.sleep(0, _holding(folder, [wrapped])), 10, "the key in the AOF")

            assert (await client.delete(f"/v1/citizens/{citizen_id}", headers=caseworker)).status_code == 202

            async def clean() -> bool:
                return not _holding(folder, needles)

            try:
                await eventually(clean, 30, "the run folder to hold nothing of the erased citizen")
            except AssertionError as exc:
                raise AssertionError(f"{exc}: {_holding(folder, needles)}") from None

    for path in _files(folder):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(folder)} is readable by others ({oct(mode)})"
    assert stat.S_IMODE((folder / "data").stat().st_mode) == 0o700
