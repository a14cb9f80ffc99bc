"""The lifecycle's use cases over in-memory ports: tracking, auto-approval, re-ranking, consent, expiry, outbox."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid

from services.intake.adapters.lifecycle_store import CitizenFacts
from services.intake.domain.access import OpportunityScope
from services.intake.domain.lifecycle import Action, Actor, RetractCause, State
from services.intake.domain.municipality import MunicipalityRules
from services.intake.lifecycle import LifecycleDeps, act, expire_due, offer_notified, republish, retract_kinds, track
from services.intake.lifecycle_follow import on_citizen_event, on_opportunity_withdrawn
from shared.contracts import (
    CitizenProfile,
    CitizenProfileInput,
    CitizenProfileUpdated,
    Event,
    MatchProposed,
    OpportunityKind,
    OpportunityWithdrawn,
    Proposal,
    ProposalTransitioned,
    Reasons,
    SealedCitizenEvent,
)
from shared.topics import Topics
from tests.samples import profile_payload
from tests.unit.intake.fakes import FakeAudit, FakeDirectory, FakeLifecycleStore, FakePublisher

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def _world(**rules: object) -> tuple[LifecycleDeps, FakeLifecycleStore, FakeDirectory, FakePublisher]:
    store, directory, publisher = FakeLifecycleStore(), FakeDirectory(), FakePublisher()
    clock = [NOW]
    deps = LifecycleDeps(
        store=store,
        directory=directory,
        publisher=publisher,
        audit=FakeAudit(),
        topics=Topics("t."),
        rules=MunicipalityRules(**rules),  # type: ignore[arg-type]
        clock=lambda: clock[0],
    )
    return deps, store, directory, publisher


def _proposal(kind: OpportunityKind = OpportunityKind.ORDINARY_JOB) -> Proposal:
    return Proposal(
        proposal_id=uuid.uuid4(),
        opportunity_id=uuid.uuid4(),
        kind=kind,
        title="Rengøring",
        owner_name="Firma",
        town="Holbæk",
        score=0.5,
        rank=1,
        reasons=Reasons(rule="r", text_da="da", text_en="en"),
    )


def _ranking(citizen_id: uuid.UUID, *proposals: Proposal, at: dt.datetime = NOW) -> MatchProposed:
    jobs = [p for p in proposals if p.kind is not OpportunityKind.ASSOCIATION_ACTIVITY]
    clubs = [p for p in proposals if p.kind is OpportunityKind.ASSOCIATION_ACTIVITY]
    return MatchProposed(
        correlation_id="c",
        occurred_at=at,
        citizen_id=citizen_id,
        trigger_event_id=uuid.uuid4(),
        catalogue_size=1,
        proposals=jobs,
        associations=clubs,
    )


async def test_a_ranking_is_tracked_once_and_associations_are_approved_without_a_caseworker() -> None:
    deps, store, directory, publisher = _world()
    citizen = uuid.uuid4()
    directory.citizens[citizen] = "316"
    job, club = _proposal(), _proposal(OpportunityKind.ASSOCIATION_ACTIVITY)
    directory.opportunities[job.opportunity_id] = OpportunityScope("12345678", None, "316", True)
    event = _ranking(citizen, job, club)
    assert await track(deps, event) == 2
    assert await track(deps, event) == 0
    assert (await store.get(job.proposal_id)).state is State.PROPOSED  # type: ignore[union-attr]
    assert (await store.get(club.proposal_id)).state is State.APPROVED  # type: ignore[union-attr]
    approvals = [e for _, _, e in publisher.sent if isinstance(e, ProposalTransitioned)]
    assert [(e.proposal_id, e.actor_role, e.proposal == club) for e in approvals] == [
        (club.proposal_id, "system", True)
    ]
    assert (await store.get(job.proposal_id)).owner == "company:12345678"  # type: ignore[union-attr]


async def test_a_municipality_can_approve_jobs_automatically_too() -> None:
    deps, store, directory, _ = _world(auto_approve={"316": frozenset({OpportunityKind.ORDINARY_JOB})})
    citizen, job = uuid.uuid4(), _proposal()
    directory.citizens[citizen] = "316"
    await track(deps, _ranking(citizen, job))
    assert (await store.get(job.proposal_id)).state is State.APPROVED  # type: ignore[union-attr]


async def test_a_newer_ranking_retracts_what_is_not_yet_accepted_and_an_old_replay_retracts_nothing() -> None:
    deps, store, directory, _ = _world()
    citizen = uuid.uuid4()
    directory.citizens[citizen] = "316"
    offered, accepted = _proposal(), _proposal()
    first = _ranking(citizen, offered, accepted)
    await track(deps, first)
    for p in (offered, accepted):
        await act(deps, p.proposal_id, Action.APPROVE, Actor.CASEWORKER, "cw", "c")
        await offer_notified(deps, [p.proposal_id], "c")
    await act(deps, accepted.proposal_id, Action.ACCEPT, Actor.CITIZEN, str(citizen), "c")
    newer = _proposal()
    await track(deps, _ranking(citizen, newer, at=NOW + dt.timedelta(hours=1)))
    assert (await store.get(offered.proposal_id)).state is State.RETRACTED  # type: ignore[union-attr]
    assert (await store.get(accepted.proposal_id)).state is State.SHARED  # type: ignore[union-attr]
    await track(deps, first)  # redelivered
    assert (await store.get(newer.proposal_id)).state is State.PROPOSED  # type: ignore[union-attr]


async def test_withdrawn_consent_retracts_only_that_kind_and_tells_an_owner_holding_details_to_delete() -> None:
    deps, store, directory, publisher = _world(default_auto_approve=frozenset())
    citizen = uuid.uuid4()
    directory.citizens[citizen] = "316"
    await store.save_citizen(citizen, CitizenFacts(private=False, consent={}))
    job, course = _proposal(), _proposal(OpportunityKind.EDUCATION_STEP)
    await track(deps, _ranking(citizen, job, course))
    await act(deps, job.proposal_id, Action.APPROVE, Actor.CASEWORKER, "cw", "c")
    await act(deps, job.proposal_id, Action.OFFER, Actor.CASEWORKER, "cw", "c")
    await act(deps, job.proposal_id, Action.ACCEPT, Actor.CITIZEN, str(citizen), "c")
    assert await retract_kinds(deps, citizen, [OpportunityKind.ORDINARY_JOB], "c") == 1
    assert (await store.get(course.proposal_id)).state is State.PROPOSED  # type: ignore[union-attr]
    last = publisher.sent[-1][2]
    assert isinstance(last, ProposalTransitioned)
    assert (last.to_state, last.cause, last.owner_must_delete, last.releases_capacity) == (
        "retracted",
        "consent_withdrawn",
        True,
        True,
    )


async def test_offers_expire_by_the_injected_clock_and_only_once() -> None:
    deps, store, directory, _publisher = _world(default_auto_approve=frozenset(OpportunityKind))
    citizen, job = uuid.uuid4(), _proposal()
    directory.citizens[citizen] = "316"
    await track(deps, _ranking(citizen, job))
    await offer_notified(deps, [job.proposal_id], "c")
    deps.clock = lambda: NOW + dt.timedelta(days=13)
    assert await expire_due(deps) == 0
    deps.clock = lambda: NOW + dt.timedelta(days=14)
    assert await expire_due(deps) == 1
    assert await expire_due(deps) == 0
    assert (await store.get(job.proposal_id)).state is State.EXPIRED  # type: ignore[union-attr]


async def test_an_event_whose_publishing_was_interrupted_is_published_by_the_sweep() -> None:
    deps, store, directory, publisher = _world()
    citizen, job = uuid.uuid4(), _proposal()
    directory.citizens[citizen] = "316"
    await track(deps, _ranking(citizen, job))
    sent_before = len(publisher.sent)

    async def broker_down(topic: str, key: str, event: object) -> None:
        raise ConnectionError("down")

    deps.publisher.publish = broker_down  # type: ignore[method-assign]
    with contextlib.suppress(ConnectionError):
        await act(deps, job.proposal_id, Action.APPROVE, Actor.CASEWORKER, "cw", "c")
    deps.publisher = publisher = FakePublisher()
    assert await republish(deps) == 0  # too fresh: its own request may still be publishing it
    deps.clock = lambda: NOW + dt.timedelta(minutes=1)
    assert await republish(deps) == 1 and sent_before >= 0
    assert [e.to_state for _, _, e in publisher.sent if isinstance(e, ProposalTransitioned)] == ["approved"]
    assert await store.unpublished() == []


class _OpenKeys:
    """Profiles arrive open in these tests; nothing is sealed."""

    async def open_profile(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> CitizenProfile:
        return profile

    async def open_event(self, event: SealedCitizenEvent) -> Event:
        raise AssertionError("nothing sealed here")


async def test_a_profile_update_that_turns_a_kinds_consent_off_retracts_its_open_proposals() -> None:
    deps, store, directory, _ = _world(default_auto_approve=frozenset())
    citizen = uuid.uuid4()
    directory.citizens[citizen] = "316"
    job, club = _proposal(), _proposal(OpportunityKind.ASSOCIATION_ACTIVITY)
    await track(deps, _ranking(citizen, job, club))
    payload = profile_payload()
    payload["consent"]["association_activity"] = False
    update = CitizenProfileUpdated(
        correlation_id="c", citizen_id=citizen, profile=CitizenProfileInput.model_validate(payload)
    )
    await on_citizen_event(deps, _OpenKeys(), update)
    assert (await store.get(club.proposal_id)).state is State.RETRACTED  # type: ignore[union-attr]
    assert (await store.get(job.proposal_id)).state is State.PROPOSED  # type: ignore[union-attr]
    facts = await store.citizen(citizen)
    assert facts is not None and facts.consent["association_activity"] is False and not facts.private


async def test_a_withdrawn_opportunity_retracts_its_running_proposals_only() -> None:
    deps, store, directory, _ = _world(default_auto_approve=frozenset())
    first, second = uuid.uuid4(), uuid.uuid4()
    directory.citizens.update({first: "316", second: "316"})
    job = _proposal()
    other = job.model_copy(update={"proposal_id": uuid.uuid4()})
    await track(deps, _ranking(first, job))
    await track(deps, _ranking(second, other))
    await act(deps, other.proposal_id, Action.OVERRIDE, Actor.CASEWORKER, "cw", "c", reason="Ikke nu.")
    await on_opportunity_withdrawn(
        deps, OpportunityWithdrawn(correlation_id="c", opportunity_id=job.opportunity_id, reason="filled")
    )
    assert (await store.get(job.proposal_id)).state is State.RETRACTED  # type: ignore[union-attr]
    assert (await store.get(other.proposal_id)).state is State.OVERRIDDEN  # type: ignore[union-attr]
    assert [t.cause for t in await store.history(job.proposal_id)] == [RetractCause.OPPORTUNITY_WITHDRAWN]
