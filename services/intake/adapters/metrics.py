"""Prometheus metrics on their own internal port: requests by route and status, events published, 503s.

Each app has its own registry, so several intakes in one process (as in the tests) do not collide.
Labels are route templates and event types, never ids.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, start_http_server
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.intake.adapters.publisher import BrokerUnavailable, EventPublisher
from shared.contracts import Event

log = logging.getLogger(__name__)


class IntakeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "brobygger_intake_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.events_published = Counter(
            "brobygger_intake_events_published",
            "Events the broker confirmed, by topic and event type.",
            ["topic", "event_type"],
            registry=self.registry,
        )
        self.publish_failures = Counter(
            "brobygger_intake_publish_failures",
            "Events the broker did not confirm in time (answered 503), by topic and event type.",
            ["topic", "event_type"],
            registry=self.registry,
        )
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def serve(self, host: str, port: int) -> int:
        """Start the metrics HTTP server; the port it listens on."""
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        bound: int = self._server.server_port
        return bound

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


class CountingPublisher:
    """An `EventPublisher` that counts what it published and what failed."""

    def __init__(self, inner: EventPublisher, metrics: IntakeMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def publish(self, topic: str, key: str, event: Event) -> None:
        event_type = str(getattr(event, "event_type", type(event).__name__))
        try:
            await self._inner.publish(topic, key, event)
        except BrokerUnavailable:
            self._metrics.publish_failures.labels(topic, event_type).inc()
            raise
        self._metrics.events_published.labels(topic, event_type).inc()


class RequestMetrics:
    """Counts every answer by route template; outermost, so it also sees 401, 413 and 429."""

    def __init__(self, app: ASGIApp, metrics: IntakeMetrics, templates: Callable[[], Iterable[str]]) -> None:
        self.app = app
        self.metrics = metrics
        self._templates = templates
        self._patterns: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            self.metrics.requests.labels(scope["method"], self._route(scope), str(status)).inc()

    def _route(self, scope: Scope) -> str:
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return path
        # Answered before routing (401, 413, 429): find the template among the documented paths.
        if self._patterns is None:
            self._patterns = [(_template_pattern(t), t) for t in self._templates()]
        for pattern, template in self._patterns:
            if pattern.match(scope["path"]):
                return template
        return "unmatched"


def _template_pattern(template: str) -> re.Pattern[str]:
    """`/v1/citizens/{citizen_id}` matches `/v1/citizens/<anything but a slash>`."""
    parts = re.split(r"\{[^}]+\}", template)
    return re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")
