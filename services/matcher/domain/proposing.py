"""One path from a ranking to the proposals that go out; the service and `brobygger rank` call it.

Rank more candidates than needed (some of the best may have no room left), keep the first
`top_n` that the capacity ledger holds a place for, and derive every proposal id from the trigger
and the opportunity, so a re-run repeats them. Associations take no capacity: an association
hears of a newcomer only after the citizen says yes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace

from services.matcher.domain import reasons as text
from services.matcher.domain.capacity import CapacityLedger, take_with_capacity
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.model import RankedOpportunity, RankingResult
from shared.contracts import CitizenProfile, KindNote, NearMiss, OpportunityKind, Reasons, derive_id
from shared.contracts.common import same_time_as

Rank = Callable[[CitizenProfile, Catalogue, int], RankingResult]
CANDIDATES_PER_PROPOSAL = 4


def proposal_id(trigger_id: uuid.UUID, opportunity_id: uuid.UUID) -> uuid.UUID:
    return derive_id("proposal", trigger_id, opportunity_id)


async def propose(
    rank: Rank,
    profile: CitizenProfile,
    catalogue: Catalogue,
    ledger: CapacityLedger,
    trigger_id: uuid.UUID,
    top_n: int,
    keep: Mapping[uuid.UUID, uuid.UUID] | None = None,
    *,
    answered: Collection[uuid.UUID] = (),
) -> RankingResult:
    """The ranking as it goes out: the best `top_n` with room (a place held for each).

    `keep` maps an opportunity the citizen already holds a proposal for to that proposal's id: a
    re-ranking that still proposes it keeps the proposal (its id, its hold and its lifecycle).
    `answered` are the opportunities the citizen said yes or no to: never proposed again (a yes
    goes on in its own lifecycle, which a newer ranking never retracts).
    """
    ranked = rank(profile, catalogue, top_n * CANDIDATES_PER_PROPOSAL)
    if answered:
        ranked = replace(
            ranked,
            proposals=[r for r in ranked.proposals if r.opportunity_id not in answered],
            associations=[r for r in ranked.associations if r.opportunity_id not in answered],
        )

    def pid(item: RankedOpportunity) -> uuid.UUID:
        return (keep or {}).get(item.opportunity_id) or proposal_id(trigger_id, item.opportunity_id)

    taken = await take_with_capacity(ranked.proposals, ledger, pid, top_n)
    shown = same_time([*taken, *ranked.associations[:top_n]])
    return replace(ranked, proposals=shown[: len(taken)], associations=shown[len(taken) :])


def same_time(items: Sequence[RankedOpportunity]) -> list[RankedOpportunity]:
    """The items, each naming those above it that take place at the same time (`same_time_as`):
    the caseworker should see that the citizen cannot do both before approving them."""
    above = same_time_as([(r.opportunity.kind, r.opportunity.schedule.slots) for r in items])
    return [_naming(r, [items[k].opportunity_id for k in ks]) if ks else r for r, ks in zip(items, above, strict=True)]


def _naming(item: RankedOpportunity, above: list[uuid.UUID]) -> RankedOpportunity:
    def explain() -> Reasons:  # still built only if the proposal goes out
        return item.reasons.model_copy(update={"same_time_as": above})

    return replace(item, explain=explain)


def kind_notes(result: RankingResult) -> list[KindNote]:
    """A note per consented kind with no proposal, naming the step that would open the most jobs."""
    present = {r.opportunity.kind for r in [*result.proposals, *result.associations]}
    opener = result.opener
    notes = []
    for kind in text.NOTE_KINDS:
        if kind in result.consented and kind not in present:
            # The step that opens the most jobs is named for the kinds that lead to work, not for clubs.
            leads_to_work = kind is not OpportunityKind.ASSOCIATION_ACTIVITY
            named = opener if leads_to_work and opener is not None and opener.opportunity.kind != kind else None
            da, en = text.kind_note(kind, named.opportunity if named else None, named.opens if named else 0)
            notes.append(KindNote(kind=kind, text_da=da, text_en=en, opener_id=named.opportunity_id if named else None))
    return notes


def near_misses(result: RankingResult) -> list[NearMiss]:
    return [
        NearMiss(
            opportunity_id=n.opportunity_id,
            kind=n.opportunity.kind,
            title=n.opportunity.title,
            owner_name=n.opportunity.owner.name,
            town=n.opportunity.location.town,
            score=n.score,
            rule=n.rule,
            rules=list(n.rules),
            text_da=n.text_da,
            text_en=n.text_en,
        )
        for n in result.near_misses
    ]
