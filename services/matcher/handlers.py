"""The matcher's use cases: keep the catalogue, keep profiles, rank and publish proposals."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from services.matcher.domain.capacity import CapacityLedger
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.model import RankedOpportunity, RankingResult
from services.matcher.domain.proposing import Rank, kind_notes, near_misses, proposal_id, propose
from services.matcher.locks import CitizenLocks
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
    Opportunity,
    OpportunityEvent,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    Proposal,
    ProposalDeclined,
    ProposalTransitioned,
    SealedCitizenEvent,
    SealedMatchProposed,
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
    async def current(self, citizen_id: uuid.UUID) -> tuple[SealedMatchProposed | None, set[uuid.UUID]]: ...
    async def save_current(
        self,
        citizen_id: uuid.UUID,
        sealed: SealedCitizenEvent,
        added: set[uuid.UUID],
        now: set[uuid.UUID],
        was: set[uuid.UUID],
    ) -> None: ...
    async def answered(self, opportunity_id: uuid.UUID, citizen_id: uuid.UUID) -> None: ...
    async def answered_by(self, citizen_id: uuid.UUID) -> set[uuid.UUID]: ...
    async def set_busy(self, citizen_id: uuid.UUID, busy: bool) -> None: ...


#: Does this opportunity still fit this (opened) profile? The ranking of that one opportunity, or None.
Fit = Callable[[CitizenProfile, uuid.UUID, Opportunity], RankedOpportunity | None]


class ReverseHook(Protocol):
    """What the citizen side tells reverse matching (services.matcher.reverse)."""

    def offer(self, event: OpportunityEvent) -> None: ...
    def profile_changed(self, citizen_id: uuid.UUID) -> None: ...
    def busy(self, citizen_id: uuid.UUID, busy: bool) -> None: ...


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
    fit: Fit | None = None
    reverse: ReverseHook | None = None
    locks: CitizenLocks = field(default_factory=CitizenLocks)
    counts: Counter[str] = field(default_factory=Counter)


async def apply_opportunity_event(deps: MatcherDeps, event: OpportunityEvent) -> None:
    """Keep the in-memory catalogue in step with the opportunity topic; a withdrawal frees its holds."""
    if isinstance(event, OpportunityRegistered | OpportunityUpdated):
        deps.catalogue.upsert(event.opportunity_id, event.opportunity)
    elif isinstance(event, OpportunityWithdrawn):
        deps.catalogue.remove(event.opportunity_id)
        await deps.capacity.release_all(event.opportunity_id)
    if deps.reverse is not None:
        deps.reverse.offer(event)


async def _release_holds(deps: MatcherDeps, citizen_id: uuid.UUID) -> None:
    # The caller overwrites or deletes the list of holds right after; releasing twice is harmless.
    for opportunity_id, held in await deps.profiles.holds(citizen_id):
        await deps.capacity.release(opportunity_id, held)


def to_proposal(pid: uuid.UUID, position: int, item: RankedOpportunity) -> Proposal:
    o = item.opportunity
    return Proposal(
        proposal_id=pid,
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
    trigger: Event,
    citizen_id: uuid.UUID,
    profile: CitizenProfile,
    result: RankingResult,
    catalogue_size: int,
    keep: Mapping[uuid.UUID, uuid.UUID] | None = None,
) -> MatchProposed:
    """The event's id and every new proposal id derive from the trigger, so a re-run repeats them;
    a proposal the citizen already holds for an opportunity keeps its id (`keep`)."""
    kept = keep or {}

    def pid(item: RankedOpportunity) -> uuid.UUID:
        return kept.get(item.opportunity_id) or proposal_id(trigger.event_id, item.opportunity_id)

    return MatchProposed(
        event_id=derive_id("match-proposed", trigger.event_id),
        correlation_id=trigger.correlation_id,
        citizen_id=citizen_id,
        trigger_event_id=trigger.event_id,
        catalogue_size=catalogue_size,
        proposals=[to_proposal(pid(r), i, r) for i, r in enumerate(result.proposals, 1)],
        associations=[to_proposal(pid(r), i, r) for i, r in enumerate(result.associations, 1)],
        preferred_language=profile.preferred_language,
        notes=kind_notes(result),
        near_misses=near_misses(result),
    )


async def _rank_and_publish(
    deps: MatcherDeps,
    outbox: Outbox,
    trigger: Event,
    citizen_id: uuid.UUID,
    profile: CitizenProfile,
    top_n: int,
    *,
    quiet: bool = False,
) -> None:
    try:
        await asyncio.wait_for(deps.catalogue_ready.wait(), deps.replay_wait_s)
    except TimeoutError as exc:
        raise RuntimeError("the opportunity catalogue has not been replayed yet") from exc
    async with deps.locks(citizen_id):
        await _rank_locked(deps, outbox, trigger, citizen_id, profile, top_n, quiet)


def _still_fitting(
    deps: MatcherDeps,
    opened: CitizenProfile,
    current: MatchProposed | None,
    added: set[uuid.UUID],
    result: RankingResult,
    answered: set[uuid.UUID],
) -> list[RankedOpportunity]:
    """Reverse-match proposals the new ranking did not list, kept while they still fit (and unanswered)."""
    if deps.fit is None or current is None:
        return []
    listed = {r.opportunity_id for r in result.proposals} | answered
    kept = []
    for p in current.proposals:
        opportunity = deps.catalogue.get(p.opportunity_id)
        if p.opportunity_id in added and p.opportunity_id not in listed and opportunity is not None:
            fits = deps.fit(opened, p.opportunity_id, opportunity)
            if fits is not None:
                kept.append(fits)
    return kept


async def load_current(deps: MatcherDeps, citizen_id: uuid.UUID) -> tuple[MatchProposed | None, set[uuid.UUID]]:
    """The proposals the citizen was last sent (kept sealed at rest) and which reverse matching added."""
    sealed, added = await deps.profiles.current(citizen_id)
    if sealed is None:
        return None, added
    try:
        opened = await deps.keys.open_event(sealed)
    except CitizenGone:
        return None, set()
    return (opened if isinstance(opened, MatchProposed) else None), added


async def save_current(
    deps: MatcherDeps,
    citizen_id: uuid.UUID,
    event: MatchProposed,
    sealed: SealedCitizenEvent,
    added: set[uuid.UUID],
    before: MatchProposed | None,
) -> None:
    # Who holds which opportunity (reverse matching excludes them, and re-checks them on an update).
    now = {p.opportunity_id for p in [*event.proposals, *event.associations]}
    was = {p.opportunity_id for p in [*before.proposals, *before.associations]} if before else set()
    await deps.profiles.save_current(citizen_id, sealed, added, now, was)


def _same(a: MatchProposed | None, b: MatchProposed) -> bool:
    """Nothing the citizen would see changed: the same proposals, in the same order."""
    return a is not None and [(p.proposal_id, p.rank) for p in [*a.proposals, *a.associations]] == [
        (p.proposal_id, p.rank) for p in [*b.proposals, *b.associations]
    ]


async def _rank_locked(
    deps: MatcherDeps,
    outbox: Outbox,
    trigger: Event,
    citizen_id: uuid.UUID,
    profile: CitizenProfile,
    top_n: int,
    quiet: bool,
) -> None:
    try:
        # Independent reads, so their round trips to Redis overlap.
        opening, earlier, (current, added), answered = await asyncio.gather(
            deps.keys.open_profile(citizen_id, profile),
            deps.profiles.holds(citizen_id),
            load_current(deps, citizen_id),
            deps.profiles.answered_by(citizen_id),
        )
    except CitizenGone:
        log.info("citizen %s was erased; no ranking", citizen_id)
        return
    # A proposal the citizen holds keeps its id (and so its hold and its lifecycle) while it is proposed.
    keep = {p.opportunity_id: p.proposal_id for p in [*current.proposals, *current.associations]} if current else {}
    result = await propose(
        deps.rank, opening, deps.catalogue, deps.capacity, trigger.event_id, top_n, keep, answered=answered
    )
    extra = _still_fitting(deps, opening, current, added, result, answered)
    if extra:
        result = replace(result, proposals=sorted([*result.proposals, *extra], key=lambda r: -r.score))
    event = build_match_proposed(trigger, citizen_id, profile, result, len(deps.catalogue), keep)
    holds = [(p.opportunity_id, p.proposal_id) for p in event.proposals]
    # The earlier proposals this ranking no longer holds free their places, unless the citizen said yes.
    for opportunity_id, held in earlier:
        if (opportunity_id, held) not in holds:
            await deps.capacity.release_open(opportunity_id, held)
    await deps.profiles.save_holds(citizen_id, holds)
    if quiet and _same(current, event):
        deps.counts["rankings_unchanged"] += 1
        log.info("citizen %s: ranking unchanged, nothing sent (event %s)", citizen_id, trigger.event_id)
        return
    try:
        # The proposals and their reasons say much about the person: they leave the matcher sealed.
        sealed = await deps.keys.seal_event(event)
    except CitizenGone:
        log.info("citizen %s was erased while ranking; nothing published", citizen_id)
        return
    await outbox.publish(deps.topics.proposals, str(citizen_id), sealed)
    await save_current(deps, citizen_id, event, sealed, {r.opportunity_id for r in extra}, current)
    deps.counts["rankings_sent"] += 1
    log.info(
        "citizen %s: %d proposals, %d associations (event %s)",
        citizen_id,
        len(event.proposals),
        len(event.associations),
        event.event_id,
    )


async def follow_lifecycle(deps: MatcherDeps, event: ProposalTransitioned | SealedProposalTransitioned) -> None:
    """A hold lasts until its proposal leaves the running; a yes makes it permanent; an offer renews it.

    Both rankings follow too: an opportunity the citizen said yes or no to is never proposed to them
    again (the yes lives on in its own lifecycle), and a citizen in a started job or placement is
    offered nothing new by reverse matching until it ends.
    """
    if event.to_state in ("accepted", "declined"):
        await deps.profiles.answered(event.opportunity_id, event.citizen_id)
    if event.to_state in ("started", "ended"):
        await deps.profiles.set_busy(event.citizen_id, event.to_state == "started")
        if deps.reverse is not None:
            deps.reverse.busy(event.citizen_id, event.to_state == "started")
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


_PROFILE_CHANGES = (CitizenProfileSubmitted, CitizenProfileUpdated, ConsentWithdrawn, CitizenErased)


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
        # A changed profile re-ranks the citizen; when nothing they would see changes, nothing is sent.
        await deps.profiles.save(event.citizen_id, event.profile)
        await _rank_and_publish(deps, outbox, event, event.citizen_id, event.profile, deps.top_n, quiet=True)
    elif isinstance(event, MatchRequested):
        profile = await deps.profiles.load(event.citizen_id)
        if profile is None:
            raise Unprocessable(
                f"match requested for citizen {event.citizen_id}, whose profile the matcher does not hold"
            )
        await _rank_and_publish(deps, outbox, event, event.citizen_id, profile, event.top_n)
    elif isinstance(event, ProposalDeclined):
        await deps.profiles.answered(event.opportunity_id, event.citizen_id)
        await deps.capacity.release(event.opportunity_id, event.proposal_id)
    elif isinstance(event, ProposalTransitioned):
        await follow_lifecycle(deps, event)
    elif isinstance(event, ConsentWithdrawn):
        await _withdraw_consent(deps, event)
    elif isinstance(event, CitizenErased):
        await _release_holds(deps, event.citizen_id)
        await deps.profiles.erase(event.citizen_id)
        await deps.keys.rewrite_files()  # no copy of the erased profile stays in the append-only file
    if deps.reverse is not None and isinstance(event, _PROFILE_CHANGES):
        deps.reverse.profile_changed(event.citizen_id)
    outbox.processed(event.event_id)
