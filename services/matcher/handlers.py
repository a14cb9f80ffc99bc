"""The matcher's use cases: keep the catalogue, keep profiles, rank and publish proposals."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

from services.matcher.domain.capacity import CapacityLedger
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.model import RankedOpportunity, RankingResult
from services.matcher.domain.proposing import Rank, kind_notes, near_misses, proposal_id, propose
from shared.contracts import (
    CitizenErased,
    CitizenEvent,
    CitizenProfile,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    ConsentWithdrawn,
    Event,
    MatchProposed,
    MatchRequested,
    OpportunityEvent,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    Proposal,
    ProposalDeclined,
    ProposalTransitioned,
    SealedCitizenEvent,
    SealedProposalTransitioned,
    citizen_event_adapter,
    derive_id,
)
from shared.crypto import CitizenErased as CitizenGone
from shared.messaging import Unprocessable
from shared.topics import Topics

log = logging.getLogger(__name__)


class Outbox(Protocol):
    """Collects what an event sends and marks it processed once that is confirmed."""

    async def publish(self, topic: str, key: str, event: Event) -> None: ...
    def processed(self, event_id: uuid.UUID) -> None: ...


class Keys(Protocol):
    async def open_profile(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> CitizenProfile: ...
    async def seal_event(self, event: Event, *, create_key: bool = False) -> SealedCitizenEvent: ...
    async def open_event(self, event: SealedCitizenEvent) -> Event: ...
    async def is_erased(self, citizen_id: uuid.UUID) -> bool: ...
    async def rewrite_files(self) -> bool: ...


class Profiles(Protocol):
    async def save(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> None: ...
    async def load(self, citizen_id: uuid.UUID) -> CitizenProfile | None: ...
    async def erase(self, citizen_id: uuid.UUID) -> None: ...
    async def was_processed(self, event_id: uuid.UUID) -> bool: ...
    async def holds(self, citizen_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]: ...
    async def save_holds(self, citizen_id: uuid.UUID, holds: list[tuple[uuid.UUID, uuid.UUID]]) -> None: ...


@dataclass
class MatcherDeps:
    catalogue: Catalogue
    catalogue_ready: asyncio.Event
    profiles: Profiles
    keys: Keys
    capacity: CapacityLedger
    rank: Rank
    topics: Topics
    top_n: int
    replay_wait_s: float


async def apply_opportunity_event(deps: MatcherDeps, event: OpportunityEvent) -> None:
    """Keep the in-memory catalogue in step with the opportunity topic; a withdrawal frees its holds."""
    if isinstance(event, OpportunityRegistered | OpportunityUpdated):
        deps.catalogue.upsert(event.opportunity_id, event.opportunity)
    elif isinstance(event, OpportunityWithdrawn):
        deps.catalogue.remove(event.opportunity_id)
        await deps.capacity.release_all(event.opportunity_id)


async def _release_holds(deps: MatcherDeps, citizen_id: uuid.UUID) -> None:
    # The caller overwrites or deletes the list of holds right after; releasing twice is harmless.
    for opportunity_id, held in await deps.profiles.holds(citizen_id):
        await deps.capacity.release(opportunity_id, held)


def _proposal(trigger: uuid.UUID, position: int, item: RankedOpportunity) -> Proposal:
    o = item.opportunity
    return Proposal(
        proposal_id=proposal_id(trigger, item.opportunity_id),
        opportunity_id=item.opportunity_id,
        kind=o.kind,
        title=o.title,
        owner_name=o.owner.name,
        town=o.location.town,
        score=item.score,
        rank=position,
        reasons=item.reasons,
    )


def build_match_proposed(
    trigger: Event, citizen_id: uuid.UUID, profile: CitizenProfile, result: RankingResult, catalogue_size: int
) -> MatchProposed:
    """The event's id and every proposal id derive from the trigger, so a re-run repeats them."""
    return MatchProposed(
        event_id=derive_id("match-proposed", trigger.event_id),
        correlation_id=trigger.correlation_id,
        citizen_id=citizen_id,
        trigger_event_id=trigger.event_id,
        catalogue_size=catalogue_size,
        proposals=[_proposal(trigger.event_id, i, r) for i, r in enumerate(result.proposals, 1)],
        associations=[_proposal(trigger.event_id, i, r) for i, r in enumerate(result.associations, 1)],
        preferred_language=profile.preferred_language,
        notes=kind_notes(result),
        near_misses=near_misses(result),
    )


async def _rank_and_publish(
    deps: MatcherDeps, outbox: Outbox, trigger: Event, citizen_id: uuid.UUID, profile: CitizenProfile, top_n: int
) -> None:
    try:
        await asyncio.wait_for(deps.catalogue_ready.wait(), deps.replay_wait_s)
    except TimeoutError as exc:
        raise RuntimeError("the opportunity catalogue has not been replayed yet") from exc
    # Independent reads, so their round trips to Redis overlap.
    opening, earlier = await asyncio.gather(
        deps.keys.open_profile(citizen_id, profile), deps.profiles.holds(citizen_id), return_exceptions=True
    )
    if isinstance(opening, CitizenGone):
        log.info("citizen %s was erased; no ranking", citizen_id)
        return
    if isinstance(opening, BaseException):
        raise opening
    if isinstance(earlier, BaseException):
        raise earlier
    # A new ranking replaces the citizen's earlier proposals, except those the citizen said yes to.
    for opportunity_id, held in earlier:
        await deps.capacity.release_open(opportunity_id, held)
    result = await propose(deps.rank, opening, deps.catalogue, deps.capacity, trigger.event_id, top_n)
    await deps.profiles.save_holds(
        citizen_id, [(r.opportunity_id, proposal_id(trigger.event_id, r.opportunity_id)) for r in result.proposals]
    )
    event = build_match_proposed(trigger, citizen_id, profile, result, len(deps.catalogue))
    try:
        # The proposals and their reasons say much about the person: they leave the matcher sealed.
        sealed = await deps.keys.seal_event(event)
    except CitizenGone:
        log.info("citizen %s was erased while ranking; nothing published", citizen_id)
        return
    await outbox.publish(deps.topics.proposals, str(citizen_id), sealed)
    log.info(
        "citizen %s: %d proposals, %d associations (event %s)",
        citizen_id,
        len(event.proposals),
        len(event.associations),
        event.event_id,
    )


async def follow_lifecycle(deps: MatcherDeps, event: ProposalTransitioned | SealedProposalTransitioned) -> None:
    """A hold lasts until its proposal leaves the running; a yes makes it permanent; an offer renews it."""
    if event.releases_capacity:
        await deps.capacity.release(event.opportunity_id, event.proposal_id)
    elif event.commits_capacity:
        await deps.capacity.commit(event.opportunity_id, event.proposal_id)
    elif event.to_state == "offered":
        await deps.capacity.renew(event.opportunity_id, event.proposal_id)


async def _withdraw_consent(deps: MatcherDeps, event: ConsentWithdrawn) -> None:
    """Rankings from now on leave out the kinds the citizen withdrew consent for."""
    profile = await deps.profiles.load(event.citizen_id)
    if profile is None:
        return
    consent = profile.consent.model_copy(update={kind.value: False for kind in event.kinds})
    await deps.profiles.save(event.citizen_id, profile.model_copy(update={"consent": consent}))


async def on_citizen_event(deps: MatcherDeps, event: CitizenEvent, outbox: Outbox) -> None:
    """Store profiles, rank on a new intake or a match request, forget on erasure."""
    processed, erased = await asyncio.gather(
        deps.profiles.was_processed(event.event_id), deps.keys.is_erased(event.citizen_id)
    )
    if processed:
        return
    if isinstance(event, SealedProposalTransitioned):
        # Its routing part is readable: the place is freed even once the citizen's key is gone.
        await follow_lifecycle(deps, event)
        outbox.processed(event.event_id)
        return
    if isinstance(event, SealedCitizenEvent) and not erased:
        try:
            event = citizen_event_adapter.validate_python(await deps.keys.open_event(event))
        except CitizenGone:
            erased = True
    if not isinstance(event, CitizenErased) and erased:
        # Anything still in flight about an erased citizen is dropped, never acted on.
        await deps.profiles.erase(event.citizen_id)
    elif isinstance(event, CitizenProfileSubmitted):
        await asyncio.gather(
            deps.profiles.save(event.citizen_id, event.profile),
            _rank_and_publish(deps, outbox, event, event.citizen_id, event.profile, deps.top_n),
        )
    elif isinstance(event, CitizenProfileUpdated):
        await deps.profiles.save(event.citizen_id, event.profile)
    elif isinstance(event, MatchRequested):
        profile = await deps.profiles.load(event.citizen_id)
        if profile is None:
            raise Unprocessable(
                f"match requested for citizen {event.citizen_id}, whose profile the matcher does not hold"
            )
        await _rank_and_publish(deps, outbox, event, event.citizen_id, profile, event.top_n)
    elif isinstance(event, ProposalDeclined):
        await deps.capacity.release(event.opportunity_id, event.proposal_id)
    elif isinstance(event, ProposalTransitioned):
        await follow_lifecycle(deps, event)
    elif isinstance(event, ConsentWithdrawn):
        await _withdraw_consent(deps, event)
    elif isinstance(event, CitizenErased):
        await _release_holds(deps, event.citizen_id)
        await deps.profiles.erase(event.citizen_id)
        await deps.keys.rewrite_files()  # no copy of the erased profile stays in the append-only file
    outbox.processed(event.event_id)
