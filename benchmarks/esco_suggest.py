"""ESCO autocomplete latency: the suggester's answer time per query, against a plain scan of every label.

    .venv/bin/python -m benchmarks.esco_suggest

Prints the build time, median and 95th-percentile latency of both, and their ratio, in one process.
The baseline scans every label for a prefix or substring match (no typo tolerance), as a simple
autocomplete would.
"""

from __future__ import annotations

import statistics
import time

from services.matcher.adapters.esco_store import load_ranker
from services.matcher.domain.suggest import Suggester, fold

QUERIES = [
    ("kok", "occupation"),
    ("sygeplejeske", "occupation"),
    ("lagerarb", "occupation"),
    ("rengøringsassistent", "occupation"),
    ("chaufør", "occupation"),
    ("pædagogmedhjælper", "occupation"),
    ("cleaner", "occupation"),
    ("truck driver", "occupation"),
    ("welding", "skill"),
    ("kørsel med truck", "skill"),
    ("customer service", "skill"),
    ("hygiene", "skill"),
]


def _times(run: object, rounds: int = 20) -> list[float]:
    out = []
    for _ in range(rounds):
        for q, kind in QUERIES:
            t = time.perf_counter()
            run(q, kind)  # type: ignore[operator]
            out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ranker = load_ranker()
    t = time.perf_counter()
    Suggester(ranker.linker.index)
    plain_s = time.perf_counter() - t
    t = time.perf_counter()
    suggester = Suggester(ranker.linker.index, linker=ranker.linker, titles=ranker.space.titles)
    build_s = time.perf_counter() - t
    labels = {kind: [lab.folded for lab in suggester._tables[kind].labels] for kind in ("occupation", "skill")}

    def scan(q: str, kind: str) -> list[str]:
        f = fold(q)
        return [label for label in labels[kind] if f in label][:10]

    ours, base = _times(suggester.suggest), _times(scan)
    p95 = lambda xs: statistics.quantiles(xs, n=20)[18]  # noqa: E731
    print(
        f"suggester build: {build_s:.2f} s over {sum(len(v) for v in labels.values())} labels "
        f"(as the matcher builds it: with the linker's owners of shared titles; {plain_s:.2f} s without)"
    )
    print(f"suggester: median {statistics.median(ours):.2f} ms, p95 {p95(ours):.2f} ms (typo-tolerant)")
    print(f"label scan baseline: median {statistics.median(base):.2f} ms, p95 {p95(base):.2f} ms (substring only)")
    print(f"ratio (baseline / suggester, median): {statistics.median(base) / statistics.median(ours):.1f}x")


if __name__ == "__main__":
    main()
