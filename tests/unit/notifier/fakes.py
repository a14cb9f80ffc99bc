"""In-memory fakes of the notifier's ports, for fast tests of its use cases (the real ones are tested e2e)."""

from __future__ import annotations

import copy
import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from services.notifier.adapters.render import Renderer
from services.notifier.adapters.store import Pending, StoredContact
from services.notifier.config import NotifierSettings
from services.notifier.ports import NotifierDeps
from shared.contracts import (
    CitizenProfile,
    Event,
    OpportunityKind,
    PersonalData,
    Proposal,
    ProposalTransitioned,
    Reasons,
)
from shared.crypto import KeyRing, seal
from shared.settings import LOCAL_LINK_SECRET
from shared.topics import Topics
from shared.webhooks import Target

#: The notifier's key-encryption keys in unit tests: a random KEK of their own.
RING = KeyRing(current=os.urandom(32))


class FakeStore:
    def __init__(self) -> None:
        self.contacts: dict[uuid.UUID, StoredContact] = {}
        self.deliveries: dict[uuid.UUID, dict[str, Any]] = {}
        self.pendings: dict[uuid.UUID, dict[str, dict[str, Any]]] = {}
        self.schedules: dict[uuid.UUID, float] = {}
        self.last: dict[uuid.UUID, float] = {}
        self.batches: dict[uuid.UUID, dict[str, Any]] = {}
        self.claims: set[str] = set()
        self.opportunities: dict[uuid.UUID, dict[str, Any]] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.outbox: dict[uuid.UUID, dict[str, Any]] = {}
        self.outbox_at: dict[uuid.UUID, float] = {}
        self.carried: set[str] = set()

    async def save_contact(self, citizen_id: uuid.UUID, contact: StoredContact) -> None:
        self.contacts[citizen_id] = contact

    async def contact(self, citizen_id: uuid.UUID) -> StoredContact | None:
        return self.contacts.get(citizen_id)

    async def erase(self, citizen_id: uuid.UUID) -> None:
        self.contacts.pop(citizen_id, None)
        self.pendings.pop(citizen_id, None)
        self.batches.pop(citizen_id, None)
        self.schedules.pop(citizen_id, None)

    async def delivery(self, message_key: uuid.UUID) -> dict[str, Any] | None:
        return copy.deepcopy(self.deliveries.get(message_key))

    async def record_delivery(self, citizen_id: uuid.UUID, message_key: uuid.UUID, record: dict[str, Any]) -> None:
        self.deliveries[message_key] = copy.deepcopy(record)

    async def add_pending(self, citizen_id: uuid.UUID, proposal_id: uuid.UUID, entry: dict[str, Any]) -> Pending:
        if str(proposal_id) in self.carried:
            return "carried"
        waiting = self.pendings.setdefault(citizen_id, {})
        if str(proposal_id) in waiting:
            return "waiting"
        waiting[str(proposal_id)] = copy.deepcopy(entry)
        return "added"

    async def remove_pending(self, citizen_id: uuid.UUID, proposal_id: uuid.UUID) -> bool:
        return self.pendings.get(citizen_id, {}).pop(str(proposal_id), None) is not None

    async def pending(self, citizen_id: uuid.UUID) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self.pendings.get(citizen_id, {}))

    async def schedule(self, citizen_id: uuid.UUID, at: float) -> None:
        self.schedules[citizen_id] = at

    async def unschedule(self, citizen_id: uuid.UUID) -> None:
        self.schedules.pop(citizen_id, None)

    async def due(self, now: float, limit: int = 100) -> list[uuid.UUID]:
        return [c for c, at in sorted(self.schedules.items(), key=lambda kv: kv[1]) if at <= now][:limit]

    async def last_digest_at(self, citizen_id: uuid.UUID) -> float | None:
        return self.last.get(citizen_id)

    async def batch(self, citizen_id: uuid.UUID) -> dict[str, Any] | None:
        return copy.deepcopy(self.batches.get(citizen_id))

    async def start_batch(self, citizen_id: uuid.UUID, batch: dict[str, Any], proposal_ids: list[str]) -> None:
        self.batches[citizen_id] = copy.deepcopy(batch)
        for pid in proposal_ids:
            self.pendings.get(citizen_id, {}).pop(pid, None)
            self.carried.add(pid)

    async def update_batch(self, citizen_id: uuid.UUID, batch: dict[str, Any]) -> None:
        if citizen_id in self.batches:
            self.batches[citizen_id] = copy.deepcopy(batch)

    async def finish_batch(self, citizen_id: uuid.UUID, sent_at: float | None) -> None:
        self.batches.pop(citizen_id, None)
        if sent_at is not None:
            self.last[citizen_id] = sent_at

    async def claim(self, name: str, ttl_s: float) -> bool:
        if name in self.claims:
            return False
        self.claims.add(name)
        return True

    async def release(self, name: str) -> None:
        self.claims.discard(name)

    async def save_opportunity(self, opportunity_id: uuid.UUID, facts: dict[str, Any]) -> None:
        self.opportunities[opportunity_id] = facts

    async def opportunity(self, opportunity_id: uuid.UUID) -> dict[str, Any] | None:
        return self.opportunities.get(opportunity_id)

    async def save_webhook(self, owner: str, record: dict[str, Any] | None) -> None:
        if record is None:
            self.webhooks.pop(owner, None)
        else:
            self.webhooks[owner] = record

    async def webhook(self, owner: str) -> dict[str, Any] | None:
        return self.webhooks.get(owner)

    async def enqueue(self, citizen_id: uuid.UUID, item_id: uuid.UUID, item: dict[str, Any], at: float) -> bool:
        if item_id in self.outbox:
            return False
        self.outbox[item_id], self.outbox_at[item_id] = copy.deepcopy(item), at
        return True

    async def outbox_due(self, now: float, limit: int = 100) -> list[uuid.UUID]:
        return [i for i, at in self.outbox_at.items() if at <= now][:limit]

    async def outbox_item(self, item_id: uuid.UUID) -> dict[str, Any] | None:
        return copy.deepcopy(self.outbox.get(item_id))

    async def update_outbox(self, item_id: uuid.UUID, item: dict[str, Any], next_at: float | None) -> None:
        self.outbox[item_id] = copy.deepcopy(item)
        if next_at is None:
            self.outbox_at.pop(item_id, None)
        else:
            self.outbox_at[item_id] = next_at


class FakeKeys:
    def __init__(self) -> None:
        self.keys: dict[uuid.UUID, bytes] = {}
        self.erased: set[uuid.UUID] = set()

    def key(self, citizen_id: uuid.UUID) -> bytes:
        return self.keys.setdefault(citizen_id, os.urandom(32))

    async def is_erased(self, citizen_id: uuid.UUID) -> bool:
        return citizen_id in self.erased

    async def for_reading(self, citizen_id: uuid.UUID) -> tuple[str, bytes]:
        from shared.crypto import CitizenErased

        if citizen_id in self.erased:
            raise CitizenErased(str(citizen_id))
        return f"c1:{citizen_id}", self.key(citizen_id)

    async def open_profile(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> CitizenProfile:
        raise NotImplementedError

    async def open_event(self, event: Any) -> Event:
        raise NotImplementedError

    async def rewrite_files(self, wait_s: float = 60.0) -> bool:
        return True


@dataclass
class FakeMail:
    sent: list[EmailMessage] = field(default_factory=list)
    fail_with: list[BaseException] = field(default_factory=list)  # raised (after recording, for a mid-send crash)
    record_before_failing: bool = False

    async def send(self, message: EmailMessage) -> None:
        if self.fail_with:
            error = self.fail_with.pop(0)
            if self.record_before_failing:
                self.sent.append(message)
            raise error
        self.sent.append(message)


@dataclass
class FakeWebhooks:
    statuses: list[int | None] = field(default_factory=list)  # None: unreachable; empty: 200
    calls: list[tuple[Target, dict[str, str], bytes]] = field(default_factory=list)

    async def post(self, target: Target, headers: dict[str, str], body: bytes) -> int:
        from services.notifier.adapters.webhook import WebhookUnreachable

        self.calls.append((target, headers, body))
        status = self.statuses.pop(0) if self.statuses else 200
        if status is None:
            raise WebhookUnreachable("ConnectError")
        return status


@dataclass
class FakePublisher:
    events: list[tuple[str, str, Event]] = field(default_factory=list)

    async def __call__(self, topic: str, key: str, event: Event) -> None:
        self.events.append((topic, key, event))

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for _, _, e in self.events if isinstance(e, kind)]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    deps: NotifierDeps
    store: FakeStore
    keys: FakeKeys
    mail: FakeMail
    webhooks: FakeWebhooks
    published: FakePublisher
    clock: Clock

    def citizen(
        self,
        *,
        language: str = "en",
        channel: str = "email",
        email: str | None = "amina@example.org",
        municipality: str = "316",
    ) -> uuid.UUID:
        citizen_id = uuid.uuid4()
        personal = PersonalData(name="Amina Hassan", email=email, phone="+45 20 30 40 50")
        sealed = seal(personal, self.keys.key(citizen_id), f"c1:{citizen_id}", citizen_id)
        self.store.contacts[citizen_id] = StoredContact(sealed, language, channel, municipality)
        return citizen_id

    def opportunity(self, *, owner: str = "company:12345678", owner_email: str | None = "job@example.dk") -> uuid.UUID:
        opportunity_id = uuid.uuid4()
        self.store.opportunities[opportunity_id] = {
            "owner": owner,
            "owner_name": "Fjordkøkkenet ApS",
            "owner_email": owner_email,
            "title": "Køkkenmedhjælper",
            "hours_per_week": 25,
            "days": ["mon", "tue"],
            "legacy_webhook_url": None,
        }
        return opportunity_id


def world(**settings: Any) -> World:
    store, keys, mail, webhooks, published, clock = (
        FakeStore(),
        FakeKeys(),
        FakeMail(),
        FakeWebhooks(),
        FakePublisher(),
        Clock(),
    )
    deps = NotifierDeps(
        store=store,
        keys=keys,
        mail=mail,
        webhooks=webhooks,
        publish=published,
        renderer=Renderer(),
        topics=Topics(prefix="t."),
        settings=NotifierSettings(**{"retry_initial_s": 10.0, "retry_max_attempts": 4, **settings}),
        link_secret=LOCAL_LINK_SECRET,
        ring=RING,
        resolver=lambda host, port: ["127.0.0.1"],
        clock=clock,
    )
    return World(deps, store, keys, mail, webhooks, published, clock)


def proposal(opportunity_id: uuid.UUID | None = None, rank: int = 1, **reasons: Any) -> Proposal:
    r = Reasons(
        rule="skills_match",
        text_da="Du kan food preparation.",
        text_en="You can do food preparation.",
        **{
            "matched_skills": ["food preparation", "clean kitchen"],
            "commute_minutes": 12.0,
            "commute_mode": "bike",
            **reasons,
        },
    )
    return Proposal(
        proposal_id=uuid.uuid4(),
        opportunity_id=opportunity_id or uuid.uuid4(),
        kind=OpportunityKind.ORDINARY_JOB,
        title="Køkkenmedhjælper",
        owner_name="Fjordkøkkenet ApS",
        town="Holbæk",
        score=0.9,
        rank=rank,
        reasons=r,
    )


def transitioned(
    citizen_id: uuid.UUID,
    p: Proposal,
    to_state: str,
    *,
    actor_role: str = "caseworker",
    actor_id: str = "cw-1",
    private: bool = False,
    at: dt.datetime | None = None,
) -> ProposalTransitioned:
    action = {"approved": "approve", "shared": "share", "retracted": "retract", "offered": "offer"}[to_state]
    source = {"approved": "proposed", "shared": "accepted", "retracted": "approved", "offered": "approved"}[to_state]
    return ProposalTransitioned(
        correlation_id="c-test",
        occurred_at=at or dt.datetime.now(dt.UTC),
        citizen_id=citizen_id,
        proposal_id=p.proposal_id,
        opportunity_id=p.opportunity_id,
        kind=p.kind,
        action=action,  # type: ignore[arg-type]
        from_state=source,  # type: ignore[arg-type]
        to_state=to_state,  # type: ignore[arg-type]
        actor_role=actor_role,  # type: ignore[arg-type]
        actor_id=actor_id,
        releases_capacity=to_state == "retracted",
        cause="reranked" if to_state == "retracted" else None,
        private_channel=private,
        proposal=p if to_state == "approved" else None,
    )
