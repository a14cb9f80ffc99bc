"""Subscribers that build intake's read models (caseload, catalogue) from the topics, each in its own group."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.intake import reads
from services.intake.reads import ReadDeps
from shared.contracts import MatchProposed, citizen_event_adapter, opportunity_event_adapter
from shared.messaging import MessageGuard, subscribe
from shared.settings import KafkaSettings
from shared.topics import Topics


def register_read_models(
    broker: KafkaBroker, deps: ReadDeps, guard: MessageGuard, kafka: KafkaSettings, topics: Topics
) -> None:
    async def on_citizen(body: bytes) -> None:
        await reads.on_citizen_event(deps, citizen_event_adapter.validate_json(body))

    async def on_opportunity(body: bytes) -> None:
        await reads.on_opportunity_event(deps, opportunity_event_adapter.validate_json(body))

    async def on_ranking(body: bytes) -> None:
        await reads.on_ranking(deps, MatchProposed.model_validate_json(body))

    for topic, purpose, handle, description in (
        (topics.citizens, "caseload", on_citizen, "Keeps the caseload: sealed profiles, erasures."),
        (topics.proposals, "caseload-rankings", on_ranking, "Notes each citizen's latest ranking in the caseload."),
        (topics.opportunities, "catalogue", on_opportunity, "Keeps the catalogue intake lists and reads back."),
    ):
        subscribe(
            broker,
            guard,
            kafka,
            topic=topic,
            group_id=topics.group("intake", purpose),
            handle=handle,
            title=f"intake.{purpose}",
            description=description,
        )
