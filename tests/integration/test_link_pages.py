"""The citizen's answer page and full list against a real Redis: two proposals made by different
rankings that take place at the same time name each other, read from the catalogue's stored times."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from services.intake.adapters.lifecycle_store import ProposalRecord, RedisLifecycleStore
from services.intake.adapters.read_models import CatalogueStore
from services.intake.domain.lifecycle import Action, Actor, State
from services.intake.entrypoints.links import LinkDeps, install_links
from services.intake.lifecycle import LifecycleDeps, transition
from services.intake.lifecycle_views import ViewDeps
from shared import links
from shared.contracts import Opportunity, OpportunityKind
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.samples import opportunity_payload
from tests.unit.intake.fakes import FakeAudit, FakeDirectory, FakePublisher
from tests.unit.notifier.fakes import proposal

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
SECRET = "link-secret-for-this-test-only-32b"


@pytest.fixture
async def redis(infra: InfraHandle) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    yield client
    await client.aclose()


class _NoKeys:
    async def for_reading(self, citizen_id: uuid.UUID) -> tuple[str, bytes]:
        raise AssertionError("the link pages read no sealed data")


def _opportunity(kind: str, title: str, day: str, start: str, end: str, **extra: Any) -> Opportunity:
    return Opportunity.model_validate(
        opportunity_payload(
            kind=kind,
            title=title,
            schedule={"hours_per_week": 3, "slots": [{"day": day, "start": start, "end": end}]},
            **extra,
        )
    )


def _club(title: str, day: str, association_id: str, activity: str) -> Opportunity:
    """An association's evening, 19:00–20:30 on `day`."""
    owner = {"type": "association", "association_id": association_id, "name": f"{title} (demo)"}
    association = {"activity_type": activity, "language_friendly": True}
    return _opportunity("association_activity", title, day, "19:00", "20:30", owner=owner, association=association)


async def test_a_course_and_a_club_from_two_rankings_name_each_other_on_both_pages(
    redis: Redis, common: CommonSettings
) -> None:
    store = RedisLifecycleStore(redis, common.namespace)
    catalogue = CatalogueStore(redis, common.namespace)
    citizen = uuid.uuid4()
    opportunities = {
        "course": _opportunity(
            "education_step",
            "Kørekort kategori B",
            "tue",
            "17:00",
            "19:30",
            owner={"type": "education_provider", "name": "Køreskolen (demo)"},
            education={"education_type": "driving_licence"},
        ),
        "club": _club("Fodbold i Tuse", "tue", "tuse-if", "sports"),
        "choir": _club("Fællessang", "thu", "kor", "culture"),
    }
    ids: dict[str, uuid.UUID] = {}
    for name, opp in opportunities.items():
        oid = uuid.uuid4()
        await catalogue.save(oid, opp, NOW)
        # Each from its own ranking: no ranking named another in `same_time_as`.
        p = proposal(oid).model_copy(update={"kind": OpportunityKind(opp.kind), "title": opp.title})
        ids[name] = p.proposal_id
        record = ProposalRecord(p.proposal_id, citizen, oid, State.PROPOSED, NOW, kind=p.kind, proposal=p)
        assert await store.open(record)
        for action in (Action.APPROVE, Action.OFFER):
            await transition(store, p.proposal_id, action, Actor.CASEWORKER, "cw-1", NOW)

    lifecycle = LifecycleDeps(
        store=store, directory=FakeDirectory(), publisher=FakePublisher(), audit=FakeAudit(), topics=common.topics
    )
    app = FastAPI()
    views = ViewDeps(lifecycle=lifecycle, keys=_NoKeys(), pseudonym_key=b"k" * 32)
    install_links(app, LinkDeps(SECRET, redis, common.namespace, views, lambda: NOW, catalogue))
    expires = NOW + dt.timedelta(days=14)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        course_page = await client.get(
            "/links/answer", params={"t": links.sign(SECRET, "answer", citizen, expires, proposal_id=ids["course"])}
        )
        choir_page = await client.get(
            "/links/answer", params={"t": links.sign(SECRET, "answer", citizen, expires, proposal_id=ids["choir"])}
        )
        listed = await client.get("/links/list", params={"t": links.sign(SECRET, "list", citizen, expires)})

    assert course_page.status_code == 200, course_page.text
    assert "Det er på samme tid som “Fodbold i Tuse”." in course_page.text, course_page.text
    assert "It is at the same time as “Fodbold i Tuse”." in course_page.text
    assert "Bemærk" not in choir_page.text, "Thursday's choir clashes with nothing"
    assert listed.status_code == 200
    assert listed.text.count("Det er på samme tid som") == 2, listed.text
    assert "Det er på samme tid som “Kørekort kategori B”." in listed.text
