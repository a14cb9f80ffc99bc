"""Reverse matching: a new or changed opportunity is offered to the best-fitting citizens at once.

Every instance follows every opportunity event (the catalogue follower) and scores the citizens of
the partitions it owns (`domain.reverse.CitizenMatrix`, rebuilt from the stored profiles when its
assignment changes, refreshed for citizens whose profile changed). Events are batched: the first
event of a burst starts a `batch_s` window, everything that arrives inside it is handled together
(the latest event per opportunity), so a company uploading 200 postings costs one pass, and each
citizen gets one new set of proposals for the whole burst. Candidates of every instance then compete
per opportunity event in Redis (`adapters.contest`) for `settle_s`; the best scores across instances
win the free places, and each instance reserves and proposes only its own winners.

A reverse-match proposal is added to the citizen's current proposals (the set they were last sent),
not a re-ranking; ids derive from (opportunity event, citizen), so a redelivery or a rebalance
repeats the same ids and the processed marks stop a second send. An updated opportunity is checked
again against the citizens who hold a proposal for it: those it no longer fits lose it (intake
retracts it, which frees its place).

Association activities go the same way with three differences, all as in the citizen-side ranking:
citizens are shortlisted by their interests (`CitizenMatrix.by_interest`; only those with a matching
interest are offered one they did not ask for), the winners take no place in the capacity ledger
(the contest still bounds them to `capacity × per_place` per event), and the activity joins the
citizen's `associations` list, which keeps at most `top_n`: a new activity enters while there is
room or when it scores above the weakest listed one, which then leaves the list. Only citizens whose
list it would enter compete. Intake tracks and auto-approves these like a ranking's associations.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from services.matcher.domain.model import RankedOpportunity
from services.matcher.domain.proposing import proposal_id
from services.matcher.domain.reverse import SHORTLIST_PER_SLOT, CitizenMatrix, Opens, ReverseRanker, reaches
from services.matcher.handlers import MatcherDeps, Outbox, load_current, save_current, to_proposal
from shared.contracts import (
    CitizenProfile,
    MatchProposed,
    Opportunity,
    OpportunityEvent,
    OpportunityKind,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    Proposal,
    derive_id,
)
from shared.crypto import CitizenErased as CitizenGone
from shared.guard import permanent_reason

log = logging.getLogger(__name__)


class ReverseStore(Protocol):
    async def citizen_ids(self) -> list[uuid.UUID]: ...
    async def load_many(self, citizen_ids: list[uuid.UUID]) -> dict[uuid.UUID, CitizenProfile]: ...
    async def excluded(self, opportunity_id: uuid.UUID) -> set[uuid.UUID]: ...
    async def proposed(self, opportunity_id: uuid.UUID) -> set[uuid.UUID]: ...
    async def busy(self) -> set[uuid.UUID]: ...
    async def was_processed(self, event_id: uuid.UUID) -> bool: ...


class Contest(Protocol):
    async def submit(self, trigger: uuid.UUID, entries: list[tuple[uuid.UUID, float]], window_ms: int) -> float: ...
    async def winners(
        self, trigger: uuid.UUID, opportunity_id: uuid.UUID, limit: int
    ) -> list[tuple[uuid.UUID, float]]: ...


class Ownership(Protocol):
    """Which citizens this instance scores: those of the citizen partitions it owns right now."""

    def stamp(self) -> object: ...
    def owns(self, citizen_id: uuid.UUID) -> bool: ...


@dataclass
class Change:
    """One citizen's share of a batch: proposals to add (with the event that caused each) and to drop."""

    add: list[tuple[uuid.UUID, RankedOpportunity]] = field(default_factory=list)
    drop: set[uuid.UUID] = field(default_factory=set)


@dataclass
class ReverseMatcher:
    deps: MatcherDeps
    store: ReverseStore
    contest: Contest
    ownership: Ownership
    ranker: ReverseRanker
    outbox: Callable[[], Outbox]
    flush: Callable[[Outbox], Awaitable[None]]
    per_place: int
    batch_s: float = 0.5
    settle_s: float = 0.5
    catchup_s: float = 3600.0
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _pending: dict[uuid.UUID, OpportunityEvent] = field(default_factory=dict)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _matrix: CitizenMatrix | None = None
    _stamp: object = None
    _stale: set[uuid.UUID] = field(default_factory=set)

    # -- what the rest of the matcher tells it (handlers.ReverseHook) -----------------------------
    def offer(self, event: OpportunityEvent) -> None:
        """Queue an opportunity event; during the catalogue replay only recent ones (crash catch-up)."""
        if isinstance(event, OpportunityWithdrawn):
            self._pending.pop(event.opportunity_id, None)
            return
        if not self.deps.catalogue_ready.is_set() and self.clock() - event.occurred_at > dt.timedelta(
            seconds=self.catchup_s
        ):
            return
        self._pending[event.opportunity_id] = event
        self.counts["reverse_queued"] += 1
        self._wake.set()

    def profile_changed(self, citizen_id: uuid.UUID) -> None:
        self._stale.add(citizen_id)

    def busy(self, citizen_id: uuid.UUID, busy: bool) -> None:
        self._stale.add(citizen_id)

    # -- the loop the matcher's lifespan runs ---------------------------------------------------
    async def run(self) -> None:
        """Batch, match, publish; a failure puts the batch back and waits with backoff."""
        delay = 0.5
        while True:
            await self._wake.wait()
            await self.deps.catalogue_ready.wait()
            await asyncio.sleep(self.batch_s)  # the bounded delay that turns a burst into one batch
            self._wake.clear()
            batch, self._pending = self._pending, {}
            try:
                await self.match(list(batch.values()))
                delay = 0.5
            except Exception as exc:
                reason = permanent_reason(exc)
                if reason is not None:
                    # A bug or a bad record, not a server that is down: retrying would fail the same way.
                    log.exception("reverse matching of %d opportunity events failed: %s", len(batch), reason)
                    self.counts["reverse_failed"] += 1
                    continue
                log.warning("reverse matching waits for a server (%s); retrying in %.1f s", exc, delay)
                self.counts["reverse_retries"] += 1
                for oid, event in batch.items():
                    self._pending.setdefault(oid, event)
                self._wake.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    # -- one batch ------------------------------------------------------------------------------
    async def match(self, events: list[OpportunityEvent]) -> None:
        live = [
            (e, opp)
            for e in events
            if isinstance(e, OpportunityRegistered | OpportunityUpdated)
            and (opp := self.deps.catalogue.get(e.opportunity_id)) is not None
        ]
        if not live:
            return
        self.counts["reverse_batches"] += 1
        matrix = await self._citizens()
        ci = self.ranker.index({e.opportunity_id: opp for e, opp in live})
        clubs = any(_is_association(opp) for _, opp in live)
        ai = self.ranker.associations(ci) if clubs else None
        column = {int(p): j for j, p in enumerate(ai.positions)} if ai is not None else {}
        changes: dict[uuid.UUID, Change] = defaultdict(Change)
        mine: dict[uuid.UUID, dict[uuid.UUID, RankedOpportunity]] = {}
        waits = []
        decided: set[uuid.UUID] = set()
        for position, (event, opp) in enumerate(live):
            limit = opp.capacity * self.per_place
            opens = None
            excluded = await self.store.excluded(event.opportunity_id)
            if isinstance(event, OpportunityUpdated):
                await self._recheck(event.opportunity_id, opp, changes)
            if ai is not None and position in column:
                women_only = bool(opp.association and opp.association.women_only)
                short = matrix.by_interest(ai, column[position], women_only, excluded, limit * SHORTLIST_PER_SLOT)
            else:  # an education step also through the catalogue jobs it could open
                opens = self.ranker.opens(event.opportunity_id, opp)
                short = matrix.shortlist(ci, position, excluded, limit * SHORTLIST_PER_SLOT, opens)
            fits = await self._fits(event.opportunity_id, opp, [c for c, _ in short], offering=True, opens=opens)
            if _is_association(opp):
                fits = {c: r for c, r in fits.items() if await self._room(c, r)}
            mine[event.event_id] = fits
            entries = [(c, r.score) for c, r in fits.items()]
            left = await self.contest.submit(event.event_id, entries, int(self.settle_s * 1000))
            if left < 0:
                decided.add(event.event_id)  # a replayed (or very late) event whose places were given
                self.counts["reverse_replays_skipped"] += 1
                continue
            self.counts["reverse_candidates"] += len(entries)
            waits.append(left)
        # Every instance's candidates are in once the window has passed.
        await asyncio.sleep(max(waits, default=0.0))
        for event, opp in live:
            if event.event_id in decided:
                continue
            won = await self.contest.winners(event.event_id, event.opportunity_id, opp.capacity * self.per_place)
            for citizen_id, _ in won:
                ranked = mine[event.event_id].get(citizen_id)
                if ranked is None:
                    continue  # another instance's citizen
                pid = proposal_id(_trigger(event.event_id, citizen_id), event.opportunity_id)
                if _is_association(opp) or await self.deps.capacity.reserve(event.opportunity_id, pid, opp.capacity):
                    changes[citizen_id].add.append((event.event_id, ranked))  # an association takes no place
        # Every citizen's new set goes out together and is confirmed once (acks=all per record would
        # make a 24-place posting wait for 72 round trips); each citizen stays locked until its state is saved.
        outbox = self.outbox()
        after: list[Callable[[], Awaitable[None]]] = []
        async with contextlib.AsyncExitStack() as locked:
            for citizen_id in sorted(changes):
                await locked.enter_async_context(self.deps.locks(citizen_id))
                change = await self._at_most_top_n(citizen_id, changes[citizen_id])
                step = await self._publish(citizen_id, change, outbox)
                if step is not None:
                    after.append(step)
            await self.flush(outbox)
            for step in after:
                await step()

    async def _at_most_top_n(self, citizen_id: uuid.UUID, change: Change) -> Change:
        """A burst adds at most `top_n` proposals to one citizen (the best); the rest give their place back.

        (Associations are bounded by the citizen's list itself, in `_publish`.)"""
        jobs = [a for a in change.add if not _is_association(a[1].opportunity)]
        if len(jobs) <= self.deps.top_n:
            return change
        ordered = sorted(jobs, key=lambda a: -a[1].score)
        for trigger, ranked in ordered[self.deps.top_n :]:
            pid = proposal_id(_trigger(trigger, citizen_id), ranked.opportunity_id)
            await self.deps.capacity.release(ranked.opportunity_id, pid)
        clubs = [a for a in change.add if _is_association(a[1].opportunity)]
        return Change(add=ordered[: self.deps.top_n] + clubs, drop=change.drop)

    async def _room(self, citizen_id: uuid.UUID, ranked: RankedOpportunity) -> bool:
        """Would this association enter the citizen's list (room left, or above its weakest)?"""
        current, _ = await load_current(self.deps, citizen_id)
        listed = current.associations if current else []
        return len(listed) < self.deps.top_n or ranked.score > min(p.score for p in listed)

    async def _citizens(self) -> CitizenMatrix:
        """The matrix of this instance's citizens, rebuilt after a rebalance, refreshed where stale."""
        stamp = self.ownership.stamp()
        if self._matrix is None or stamp != self._stamp:
            self._matrix = CitizenMatrix(self.ranker.width())
            self._stamp = stamp
            self._stale = set(await self.store.citizen_ids())
        stale, self._stale = {c for c in self._stale if self.ownership.owns(c)}, set()
        if stale:
            profiles = await self.store.load_many(sorted(stale))
            for citizen_id in stale:
                profile = profiles.get(citizen_id)
                if profile is None:
                    self._matrix.drop(citizen_id)
                else:
                    self._matrix.put(citizen_id, self.ranker.row(profile))
            self.counts["reverse_rows_encoded"] += len(profiles)
        self._matrix.set_busy(await self.store.busy())
        return self._matrix

    async def _fits(
        self,
        opportunity_id: uuid.UUID,
        opp: Opportunity,
        citizen_ids: list[uuid.UUID],
        *,
        offering: bool = False,
        opens: Opens | None = None,
    ) -> dict[uuid.UUID, RankedOpportunity]:
        """The shortlist through the citizen-side ranking (hard rules, strategy, score) of this one opportunity
        (an education step with the jobs it could open, `opens`); `offering`: only the fits reverse matching
        may offer unasked (`domain.reverse.reaches`)."""
        profiles = await self.store.load_many(citizen_ids)
        found = {}
        for citizen_id in citizen_ids:
            stored = profiles.get(citizen_id)
            if stored is None:
                continue
            try:
                opened = await self.deps.keys.open_profile(citizen_id, stored)
            except CitizenGone:
                continue
            ranked = self.ranker.fit(opened, opportunity_id, opp, opens)
            if ranked is not None and (not offering or reaches(ranked)):
                found[citizen_id] = ranked
        return found

    async def _recheck(self, opportunity_id: uuid.UUID, opp: Opportunity, changes: dict[uuid.UUID, Change]) -> None:
        """Citizens of this instance holding a proposal for a changed opportunity lose it if it no longer fits."""
        holders = [c for c in await self.store.proposed(opportunity_id) if self.ownership.owns(c)]
        fitting = await self._fits(opportunity_id, opp, holders)
        for citizen_id in holders:
            if citizen_id not in fitting:
                changes[citizen_id].drop.add(opportunity_id)

    async def _publish(
        self, citizen_id: uuid.UUID, change: Change, outbox: Outbox
    ) -> Callable[[], Awaitable[None]] | None:
        """Queue the citizen's set with this batch's additions and removals; what to save once confirmed."""
        # A proposal already sent for (opportunity event, citizen) is never sent again, whatever batch
        # a redelivery or a rebalance puts it in.
        fresh = [(t, r) for t, r in change.add if not await self.store.was_processed(_trigger(t, citizen_id))]
        change = Change(add=fresh, drop=change.drop)
        if not change.add and not change.drop:
            return None
        triggers = sorted({t for t, _ in change.add})
        event_id = derive_id("reverse-match-proposed", citizen_id, *triggers, *sorted(change.drop))
        if await self.store.was_processed(event_id):
            return None  # a redelivered batch: sent already
        current, added = await load_current(self.deps, citizen_id)
        held = current.proposals if current else []
        listed = current.associations if current else []
        kept, kept_clubs = (
            [
                p
                for p in ps
                if p.opportunity_id not in change.drop and self.deps.catalogue.get(p.opportunity_id) is not None
            ]
            for ps in (held, listed)
        )
        have = {p.opportunity_id: p.proposal_id for p in [*kept, *kept_clubs]}
        jobs = [(t, r) for t, r in change.add if not _is_association(r.opportunity)]
        new = [
            to_proposal(proposal_id(_trigger(t, citizen_id), r.opportunity_id), 1, r)  # renumbered below
            for t, r in jobs
            if r.opportunity_id not in have
        ]
        for t, r in jobs:
            pid = proposal_id(_trigger(t, citizen_id), r.opportunity_id)
            if r.opportunity_id in have and have[r.opportunity_id] != pid:
                # The citizen's own ranking proposed it meanwhile: the place held for this one goes back.
                await self.deps.capacity.release(r.opportunity_id, pid)
        offered = [
            to_proposal(proposal_id(_trigger(t, citizen_id), r.opportunity_id), 1, r)
            for t, r in change.add
            if _is_association(r.opportunity) and r.opportunity_id not in have
        ]
        # The list keeps at most top N (or what it already holds): a new activity enters while there is
        # room, or in place of a weaker one.
        clubs = sorted([*kept_clubs, *offered], key=lambda p: -p.score)[: max(self.deps.top_n, len(kept_clubs))]
        entered = {p.proposal_id for p in clubs}
        new_clubs = [p for p in offered if p.proposal_id in entered]
        if not new and not new_clubs and not any(p.opportunity_id in change.drop for p in [*held, *listed]):
            return None  # nothing the citizen would see changes: nothing is sent
        proposals = _renumber(sorted([*kept, *new], key=lambda p: -p.score))
        profile = await self.deps.profiles.load(citizen_id)
        if profile is None:
            return None
        event = MatchProposed(
            event_id=event_id,
            correlation_id=str(triggers[0]) if triggers else str(event_id),
            citizen_id=citizen_id,
            trigger_event_id=triggers[0] if triggers else event_id,
            catalogue_size=len(self.deps.catalogue),
            proposals=proposals,
            associations=_renumber(clubs),
            preferred_language=profile.preferred_language,
            # A note says a kind has nothing yet: it goes once this set holds one of that kind.
            notes=[n for n in current.notes if n.kind not in _kinds(proposals, clubs)] if current else [],
            near_misses=current.near_misses if current else [],
        )
        try:
            # Proposals and their reasons say much about the person: they leave the matcher sealed.
            sealed = await self.deps.keys.seal_event(event)
        except CitizenGone:
            return None
        await outbox.publish(self.deps.topics.proposals, str(citizen_id), sealed)
        outbox.processed(event_id)
        for t in triggers:
            outbox.processed(_trigger(t, citizen_id))

        async def confirmed() -> None:
            for p in current.proposals if current else []:
                if p.opportunity_id in change.drop:
                    await self.deps.capacity.release_open(p.opportunity_id, p.proposal_id)
            await self.deps.profiles.save_holds(citizen_id, [(p.opportunity_id, p.proposal_id) for p in proposals])
            still_added = (added - change.drop) | {p.opportunity_id for p in new}
            await save_current(self.deps, citizen_id, event, sealed, still_added, current)
            self.counts["reverse_proposals"] += len(new)
            self.counts["reverse_associations"] += len(new_clubs)
            self.counts["reverse_retracted"] += len(change.drop)
            log.info(
                "citizen %s: %d proposals and %d associations added, %d dropped by reverse matching (event %s)",
                citizen_id,
                len(new),
                len(new_clubs),
                len(change.drop),
                event_id,
            )

        return confirmed


def _trigger(opportunity_event_id: uuid.UUID, citizen_id: uuid.UUID) -> uuid.UUID:
    """The id a reverse-match proposal derives from: one per (opportunity event, citizen)."""
    return derive_id("reverse-match", opportunity_event_id, citizen_id)


def _is_association(opportunity: Opportunity) -> bool:
    return opportunity.kind is OpportunityKind.ASSOCIATION_ACTIVITY


def _kinds(proposals: list[Proposal], clubs: list[Proposal]) -> set[OpportunityKind]:
    return {p.kind for p in proposals} | ({OpportunityKind.ASSOCIATION_ACTIVITY} if clubs else set())


def _renumber(proposals: list[Proposal]) -> list[Proposal]:
    return [p.model_copy(update={"rank": i}) for i, p in enumerate(proposals, 1)]
