"""Prometheus metrics of one stream service's consumers, served on its internal port at `/metrics`."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

#: (topic, partition, lag) for every partition a consumer of this service holds.
LagSource = Callable[[], Iterable[tuple[str, int, int]]]


class _LagCollector(Collector):
    def __init__(self, service: str, source: LagSource) -> None:
        self._service = service
        self._source = source

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "brobygger_consumer_lag_records",
            "Records on a partition this service has not processed yet.",
            labels=["service", "topic", "partition"],
        )
        for topic, partition, lag in self._source():
            family.add_metric([self._service, topic, str(partition)], lag)
        yield family


class ConsumerMetrics:
    """One registry per service instance, so several services (or tests) in one process never collide."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        labels = ["service", "topic"]
        self.consumed = Counter(
            "brobygger_records_consumed", "Records taken from a topic.", labels, registry=self.registry
        )
        self.processed = Counter(
            "brobygger_records_processed", "Records whose effect is done.", labels, registry=self.registry
        )
        self.produced = Counter(
            "brobygger_records_produced", "Records published to a topic.", labels, registry=self.registry
        )
        self.dead_lettered = Counter(
            "brobygger_records_dead_lettered",
            "Records that can never be processed, sent to the dead-letter topic.",
            labels,
            registry=self.registry,
        )
        self.retried = Counter(
            "brobygger_records_retried",
            "Transient failures: the partition paused and the record will be retried.",
            labels,
            registry=self.registry,
        )
        self.paused = Gauge(
            "brobygger_partitions_paused",
            "Partitions paused while a server they need is down.",
            ["service"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "brobygger_processing_seconds",
            "Time to process one record (a batch counts once per record).",
            labels,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

    def watch_lag(self, source: LagSource) -> None:
        self.registry.register(_LagCollector(self.service, source))
