"""Builds intake from settings: the API, the stream subscriber and the tests all start here."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from services.intake.adapters.approvals import OwnerApprovals
from services.intake.adapters.audit import AuditLog
from services.intake.adapters.esco_client import EscoSuggestClient
from services.intake.adapters.kpi_store import KpiStore
from services.intake.adapters.lifecycle_store import RedisLifecycleStore
from services.intake.adapters.metrics import CountingPublisher, IntakeMetrics, RequestMetrics
from services.intake.adapters.privacy_store import PrivacyStore
from services.intake.adapters.publisher import KafkaEventPublisher
from services.intake.adapters.ratelimit import RedisRateLimiter
from services.intake.adapters.read_models import CaseloadStore, CatalogueStore
from services.intake.adapters.sealing import SealingPublisher
from services.intake.adapters.store import IntakeStore
from services.intake.adapters.tokens import TokenVerifier
from services.intake.config import IntakeSettings, UnsafeSettings
from services.intake.delivery_failures import DeliveryFailures
from services.intake.domain.municipality import MunicipalityRules
from services.intake.entrypoints.api import ESCO_ATTRIBUTION, include_routers
from services.intake.entrypoints.correlation import CorrelationId
from services.intake.entrypoints.docs import install_offline_docs
from services.intake.entrypoints.errors import ERROR_RESPONSES, BodyLimit, install_error_handlers
from services.intake.entrypoints.lifecycle_api import install_lifecycle
from services.intake.entrypoints.lifecycle_stream import register_lifecycle_subscribers, sweep_forever
from services.intake.entrypoints.links import LinkDeps, install_links
from services.intake.entrypoints.pages.auth import PAGE_PREFIX, PUBLIC_PAGE_PATHS, PageAuth
from services.intake.entrypoints.pages.views import include_pages
from services.intake.entrypoints.privacy_api import router as privacy_router
from services.intake.entrypoints.read_stream import read_model_handlers
from services.intake.entrypoints.reads_routers import include_read_routers
from services.intake.entrypoints.security import Gate
from services.intake.entrypoints.stream import register_subscribers
from services.intake.entrypoints.webhooks_api import WebhookDeps, install_webhooks
from services.intake.handlers import IntakeDeps
from services.intake.lifecycle import LifecycleDeps
from services.intake.lifecycle import erase as lifecycle_erase
from services.intake.lifecycle_views import ViewDeps
from services.intake.privacy import PrivacyDeps, SealingAudit
from services.intake.reads import ReadDeps
from shared import background
from shared.crypto import KeyRing, KeySettings, KeyStore
from shared.deadletters import RedisReplayLedger
from shared.messaging import MessageGuard, build_broker
from shared.ops import Consumers
from shared.redis_client import redis_client as shared_redis_client
from shared.settings import CommonSettings, KafkaSettings, RedisSettings
from shared.web_security import SecurityHeaders
from shared.webhooks import Resolver, system_resolver

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})
#: The citizen's answer links carry their own signature instead of a bearer token (SECURITY.md).
LINK_PATHS = frozenset({"/links/answer", "/links/list"})
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
DOCS_ASSETS = "/docs-assets"  # Swagger UI and ReDoc from the fastapi-offline package: no CDN

DESCRIPTION = f"""
Brobygger intake: register citizens (intake / competence clarification) and opportunities, ask for
matches, and read ranked proposals with their reasons.

Every endpoint but the health checks needs `Authorization: Bearer <JWT>` (locally:
`brobygger token --role caseworker --subject cw-1 --municipality 316`). Roles: caseworker (own
municipality), company (own CVR), association (own id), citizen (themself), admin. Outside one's
scope the answer is 404, exactly as for something that does not exist; a role that may never use an
endpoint gets 403. Writes are rate-limited per token (429 with `Retry-After`).

Events are published to Kafka keyed by the citizen or opportunity id. Invalid input is answered
422 with the field and the problem; a body over the limit 413; a broker that does not confirm in
time 503 (retry with the same `Idempotency-Key` header: a retried POST publishes once).

{ESCO_ATTRIBUTION} Danish occupation labels adapted from ESCO v1.0.8 (European Commission) via the
MELO benchmark (Avature, MIT licence).
"""


def _lifecycle(
    settings: IntakeSettings,
    store: RedisLifecycleStore,
    deps: IntakeDeps,
    privacy: PrivacyDeps,
    clock: Callable[[], dt.datetime] | None,
) -> LifecycleDeps:
    """The lifecycle's dependencies: its own store beside intake's, the same publisher and audit trail."""
    rules = MunicipalityRules(
        default_auto_approve=frozenset(settings.auto_approve_kinds),
        auto_approve={m: frozenset(k) for m, k in settings.auto_approve_by_municipality.items()},
        no_candidates_before_yes=frozenset(settings.no_candidates_before_yes),
    )
    lifecycle = LifecycleDeps(
        store=store,
        directory=deps.store,
        publisher=deps.publisher,
        audit=SealingAudit(privacy),
        topics=deps.topics,
        rules=rules,
        offer_expiry=dt.timedelta(seconds=settings.offer_expiry_s),
    )
    if clock is not None:
        lifecycle.clock = clock
    privacy.before_erasure = partial(lifecycle_erase, lifecycle)
    return lifecycle


def bootstrap(
    common: CommonSettings | None = None,
    kafka: KafkaSettings | None = None,
    redis: RedisSettings | None = None,
    settings: IntakeSettings | None = None,
    keys: KeySettings | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    resolver: Resolver = system_resolver,
) -> FastAPI:
    """The intake ASGI app; the broker and Redis connect when it starts. `clock` is for tests of expiry,
    `resolver` for tests of webhook registration."""
    common = common or CommonSettings()
    kafka = kafka or KafkaSettings()
    redis_settings = redis or RedisSettings()
    settings = settings or IntakeSettings()
    problems = settings.problems_for(common.mode)
    try:
        common.refuse_local_defaults()
    except ValueError as exc:
        problems.append(str(exc))
    try:
        ring = KeyRing.from_settings(keys or KeySettings(), common.mode)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise UnsafeSettings("refusing to start in production mode (BROBYGGER_MODE=production): " + "; ".join(problems))
    docs_public = settings.docs_public(common.mode)
    metrics = IntakeMetrics()

    broker = build_broker(kafka, "brobygger-intake", log_each_message=common.log_each_message)
    redis_client = shared_redis_client(redis_settings)  # waits for a free connection instead of refusing
    key_store = KeyStore(redis_client, common.namespace, ring)
    deps = IntakeDeps(
        publisher=CountingPublisher(
            SealingPublisher(KafkaEventPublisher(broker, settings.publish_timeout_s), key_store),
            metrics,
        ),
        store=IntakeStore(redis_client, common.namespace),
        topics=common.topics,
        idempotency_ttl_s=settings.idempotency_ttl_s,
        keys=key_store,
        pseudonym_key=ring.derive("candidate-pseudonyms"),
        approvals=OwnerApprovals(redis_client, common.namespace, settings.approved_owners)
        if settings.owner_approval
        else None,
    )
    privacy = PrivacyDeps(
        publisher=deps.publisher,
        store=deps.store,
        privacy=PrivacyStore(redis_client, common.namespace),
        keys=key_store,
        audit=AuditLog(redis_client, common.namespace, deps.publisher, common.topics.audit),
        topics=common.topics,
        export_sources={"matcher": settings.matcher_url, "notifier": settings.notifier_url},
        internal_token=common.internal_token.get_secret_value(),
        http_timeout_s=settings.export_timeout_s,
    )
    lifecycle_store = RedisLifecycleStore(redis_client, common.namespace)
    lifecycle = _lifecycle(settings, lifecycle_store, deps, privacy, clock)
    guard = MessageGuard(
        broker, common.topics, "intake", kafka=kafka, ledger=RedisReplayLedger(redis_client, common.namespace)
    )
    failures = DeliveryFailures(redis_client, common.namespace)
    reads = ReadDeps(
        caseload=CaseloadStore(redis_client, common.namespace),
        catalogue=CatalogueStore(redis_client, common.namespace),
        kpi=KpiStore(redis_client, common.namespace),
        store=deps.store,
        privacy=privacy,
    )
    read_models = read_model_handlers(reads)
    track_rankings = register_lifecycle_subscribers(
        broker, lifecycle, privacy.keys, guard, kafka, failures, also=read_models.for_lifecycle
    )
    register_subscribers(broker, deps, guard, kafka, then=read_models.after_ranking(track_rankings))
    consumers = Consumers(broker, guard, kafka.shutdown_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.metrics_port = metrics.serve(settings.metrics_host, settings.metrics_port)
        log.info(
            "intake starting in %s mode: tokens %s from issuer %s for audience %s; docs %s; metrics on %s:%d",
            common.mode,
            "/".join(verifier.algorithms),
            settings.jwt_issuer,
            settings.jwt_audience,
            "public" if docs_public else "off",
            settings.metrics_host,
            app.state.metrics_port,
        )
        sweep: asyncio.Task[None] | None = None
        try:
            await broker.connect()  # publishing works from the first request
            sweep = asyncio.create_task(sweep_forever(lifecycle, settings.lifecycle_sweep_s))
            # The consumers join their groups in the background; /readyz says when they have.
            async with consumers.running():
                yield
        finally:
            await background.stop(sweep)
            await broker.stop()
            await redis_client.aclose()
            metrics.stop()

    verifier = TokenVerifier(settings)
    app = FastAPI(
        title="Brobygger intake",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs_public else None,
    )
    app.state.deps = deps
    app.state.privacy = privacy
    app.state.guard = guard
    app.state.reads = reads
    app.state.kpi_targets = settings.kpi_targets()
    app.state.esco = EscoSuggestClient(
        settings.matcher_url, common.internal_token.get_secret_value(), settings.suggest_timeout_s
    )

    async def broker_ping() -> bool:
        return bool(await broker.ping(timeout=2.0))

    app.state.broker_ping = broker_ping
    app.state.consumers = consumers
    install_error_handlers(app)
    include_routers(app)
    app.include_router(privacy_router)
    include_read_routers(app)
    if docs_public:
        install_offline_docs(app, DOCS_ASSETS)
    pages = PageAuth.from_settings(settings, common.mode)
    include_pages(app, pages)
    views = ViewDeps(lifecycle=lifecycle, keys=privacy.keys, pseudonym_key=deps.pseudonym_key, failures=failures)
    install_lifecycle(app, views)
    install_webhooks(
        app,
        WebhookDeps(
            redis=redis_client,
            prefix=common.namespace,
            publisher=deps.publisher,
            topics=common.topics,
            ring=ring,
            production=common.mode == "production",
            resolver=resolver,
        ),
    )
    link_secret = common.link_secret.get_secret_value()
    install_links(
        app,
        LinkDeps(link_secret, redis_client, common.namespace, views, lambda: lifecycle.clock(), reads.catalogue),
    )
    # Outermost last: metrics see every answer; the gate turns away strangers before a body is read.
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, form_paths=LINK_PATHS, form_prefixes=(PAGE_PREFIX,)
    )
    limiter = RedisRateLimiter(redis_client, common.namespace, settings.rate_limit_per_minute)
    public = PUBLIC_PATHS | LINK_PATHS | PUBLIC_PAGE_PATHS | (DOCS_PATHS if docs_public else frozenset())
    prefixes = (f"{PAGE_PREFIX}/static/", *((f"{DOCS_ASSETS}/",) if docs_public else ()))
    reads_limiter = RedisRateLimiter(redis_client, common.namespace, settings.read_rate_limit_per_minute, kind="read")
    app.add_middleware(
        Gate,
        verifier=verifier,
        limiter=limiter,
        public=public,
        public_prefixes=prefixes,
        pages=pages,
        read_limiter=reads_limiter,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics, metrics=metrics, templates=lambda: app.openapi()["paths"].keys())
    app.add_middleware(CorrelationId)  # outermost: every log line of the request carries its id
    app.state.metrics = metrics
    return app
