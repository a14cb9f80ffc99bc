"""The read models' share of intake's subscribers: the caseload, KPI and catalogue follow the same records.

Intake has one consumer per topic (the guard keeps its pause and retry state per topic-partition), so
the read models do not subscribe themselves: these hooks run inside the lifecycle's citizens and
opportunities subscribers and after intake's proposals subscriber.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.intake import reads
from services.intake.reads import ReadDeps
from shared.contracts import CitizenEvent, OpportunityEvent, ProposalEvent


@dataclass(frozen=True)
class ReadModelHooks:
    on_citizen: Callable[[CitizenEvent], Awaitable[None]]
    on_opportunity: Callable[[OpportunityEvent], Awaitable[None]]


@dataclass(frozen=True)
class ReadModels:
    for_lifecycle: ReadModelHooks
    deps: ReadDeps

    def after_ranking(
        self, then: Callable[[ProposalEvent], Awaitable[None]]
    ) -> Callable[[ProposalEvent], Awaitable[None]]:
        """The proposals subscriber's follow-up: the lifecycle tracks the ranking, then the read models note it."""

        async def both(event: ProposalEvent) -> None:
            await then(event)
            await reads.on_ranking(self.deps, event)

        return both


def read_model_handlers(deps: ReadDeps) -> ReadModels:
    async def on_citizen(event: CitizenEvent) -> None:
        await reads.on_citizen_event(deps, event)

    async def on_opportunity(event: OpportunityEvent) -> None:
        await reads.on_opportunity_event(deps, event)

    return ReadModels(ReadModelHooks(on_citizen, on_opportunity), deps)
