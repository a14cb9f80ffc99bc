"""Builds the matcher from settings. The service process and the tests both start here."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.matcher import handlers
from services.matcher.adapters.capacity import RedisCapacity
from services.matcher.adapters.catalogue_follower import CatalogueFollower
from services.matcher.adapters.contest import RedisContest
from services.matcher.adapters.esco_store import load_ranker
from services.matcher.adapters.outbox import Outbox
from services.matcher.adapters.ownership import PartitionOwnership
from services.matcher.adapters.profile_store import ProfileStore
from services.matcher.config import MatcherSettings
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.model import RankingResult
from services.matcher.domain.ranking import Ranker
from services.matcher.domain.reverse import ReverseRanker
from services.matcher.domain.suggest import Suggester
from services.matcher.entrypoints.stream import catalogue_applier, register_subscribers
from services.matcher.entrypoints.suggest import LazySuggester
from services.matcher.entrypoints.suggest import router as suggest_router
from services.matcher.handlers import MatcherDeps
from services.matcher.reverse import ReverseMatcher
from shared import background
from shared.contracts import CitizenProfile
from shared.crypto import CitizenErased, KeyRing, KeySettings, KeyStore
from shared.deadletters import RedisReplayLedger
from shared.messaging import MessageGuard, build_broker
from shared.ops import Consumers, ops_app
from shared.redis_client import redis_client
from shared.settings import CommonSettings, KafkaSettings, RedisSettings


def _not_loaded(profile: CitizenProfile, catalogue: Catalogue, top_n: int) -> RankingResult:
    raise RuntimeError("the ESCO ranker is still loading")


def suggester_of(loaded: list[Ranker]) -> Suggester:
    """The ESCO autocomplete, reading shared titles as the loaded ranker does (its reviewed titles and
    linker); raises while the ranker is still loading."""
    if not loaded:
        raise RuntimeError("the ESCO ranker is still loading")
    ranker = loaded[0]
    return Suggester(ranker.linker.index, linker=ranker.linker, titles=ranker.space.titles)


def _preparation_problem(app: FastAPI) -> dict[str, object]:
    preparing: asyncio.Task[None] | None = getattr(app.state, "preparing", None)
    if preparing is None or not preparing.done() or preparing.cancelled() or preparing.exception() is None:
        return {}
    return {"start_failed": f"{type(preparing.exception()).__name__}: {preparing.exception()}"}


def reverse_matcher(
    deps: MatcherDeps,
    settings: MatcherSettings,
    ranker: ReverseRanker,
    contest: RedisContest,
    ownership: PartitionOwnership,
    broker: KafkaBroker,
    guard: MessageGuard,
) -> ReverseMatcher:
    """Reverse matching over this instance's citizens, publishing through its own outbox per citizen."""
    assert isinstance(deps.profiles, ProfileStore)
    store = deps.profiles

    async def flush(outbox: handlers.Outbox) -> None:
        assert isinstance(outbox, Outbox)
        await outbox.flush()

    return ReverseMatcher(
        deps=deps,
        store=store,
        contest=contest,
        ownership=ownership,
        ranker=ranker,
        outbox=lambda: Outbox(broker, store, guard.max_record_bytes),
        flush=flush,
        per_place=settings.capacity_per_place,
        batch_s=settings.reverse_batch_s,
        settle_s=settings.reverse_settle_s,
        catchup_s=settings.reverse_catchup_s,
    )


def bootstrap(
    common: CommonSettings | None = None,
    kafka: KafkaSettings | None = None,
    redis: RedisSettings | None = None,
    settings: MatcherSettings | None = None,
    ranker: Callable[[], Ranker] = load_ranker,
) -> FastAPI:
    """The matcher as an ASGI app whose lifespan runs the stream consumers."""
    common = common or CommonSettings()
    kafka = kafka or KafkaSettings()
    redis_settings = redis or RedisSettings()
    settings = settings or MatcherSettings()
    common.refuse_local_defaults()

    broker = build_broker(kafka, "brobygger-matcher", log_each_message=common.log_each_message)
    store_client = redis_client(redis_settings)
    profiles = ProfileStore(store_client, common.namespace, settings.processed_ttl_s)
    keys = KeyStore(store_client, common.namespace, KeyRing.from_settings(KeySettings(), common.mode))

    catalogue_ready = asyncio.Event()
    capacity = RedisCapacity(
        store_client, common.namespace, per_place=settings.capacity_per_place, hold_s=settings.capacity_hold_s
    )
    deps = MatcherDeps(
        catalogue=Catalogue(),
        catalogue_ready=catalogue_ready,
        profiles=profiles,
        keys=keys,
        capacity=capacity,
        rank=_not_loaded,
        topics=common.topics,
        top_n=settings.top_n,
        replay_wait_s=settings.replay_wait_s,
    )
    guard = MessageGuard(
        broker, common.topics, "matcher", kafka=kafka, ledger=RedisReplayLedger(store_client, common.namespace)
    )
    follower = CatalogueFollower(
        kafka, common.topics.opportunities, catalogue_applier(deps, guard), "brobygger-matcher-catalogue"
    )
    register_subscribers(broker, deps, guard, kafka, profiles)
    consumers = Consumers(broker, guard, kafka.shutdown_timeout_s)
    contest = RedisContest(store_client, common.namespace, capacity.key_prefix)
    ownership = PartitionOwnership(broker, common.topics.citizens)

    loaded_ranker: list[Ranker] = []  # the ranker once `prepare` has loaded it; the suggester reads as it does

    async def prepare() -> None:
        # Loading (or building and caching) the ESCO index takes a while: keep the loop free meanwhile.
        # Citizen records wait (their partitions pause) until the catalogue is replayed, which starts
        # only once the ranker is loaded.
        loaded = await asyncio.to_thread(ranker)
        loaded_ranker.append(loaded)
        deps.rank = lambda profile, catalogue, top_n: loaded.rank(profile, catalogue, top_n=top_n)
        reverse = reverse_matcher(
            deps, settings, ReverseRanker(loaded, deps.catalogue), contest, ownership, broker, guard
        )
        deps.fit, deps.reverse = reverse.ranker.fit, reverse
        reverse_loop = asyncio.create_task(reverse.run(), name="reverse-matching")
        try:
            await start_following()
            await reverse_loop  # runs until the service stops (this task is cancelled then)
        finally:
            await background.stop(reverse_loop)

    async def start_following() -> None:
        await follower.start()
        guard.watch(follower.consumer)
        await follower.ready.wait()
        catalogue_ready.set()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        preparing = asyncio.create_task(prepare(), name="matcher-prepare")
        app.state.preparing = preparing
        # The HTTP server answers /healthz while the ranker loads and the consumers join their groups.
        async with consumers.running():
            try:
                yield
            finally:
                await background.stop(preparing)
        await follower.stop()
        await store_client.aclose()

    async def readiness() -> dict[str, object]:
        try:
            redis_ok = await profiles.ping()
        except Exception:
            redis_ok = False
        return {
            "catalogue_replayed": catalogue_ready.is_set() and follower.failed() is None,
            **_preparation_problem(app),
            "kafka": bool(await broker.ping(timeout=2.0)),
            "redis": redis_ok,
            **consumers.checks(),
        }

    def stats() -> dict[str, object]:
        reverse: dict[str, int] = {}
        if isinstance(deps.reverse, ReverseMatcher):
            reverse = {**deps.reverse.counts, "citizen_partitions": ownership.owned_count()}
        return {
            "catalogue_size": len(deps.catalogue),
            "catalogue_records": follower.records_applied,
            **guard.counters,
            **deps.counts,
            **reverse,
        }

    async def export(citizen_id: uuid.UUID) -> dict[str, object]:
        stored = await profiles.load(citizen_id)
        profile = None
        if stored is not None:
            with contextlib.suppress(CitizenErased):
                profile = (await keys.open_profile(citizen_id, stored)).model_dump(mode="json")
        return {"service": "matcher", "profile": profile}

    app = ops_app("Brobygger matcher", lifespan, common, readiness, stats, export, guard)
    app.state.deps = deps
    app.state.suggester = LazySuggester(lambda: suggester_of(loaded_ranker))
    app.include_router(suggest_router)
    return app
