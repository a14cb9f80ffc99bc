"""Speed benchmark: time to rank one profile against 1,000 / 10,000 / 100,000 opportunities.

    .venv/bin/python -m benchmarks.speed [--sizes 1000 10000 100000] [--profiles 200]

For each size: catalogue index build time, single-profile ranking (median, p99), and in the same
run the floor: the bare scipy sparse product of the same citizen vector with the same catalogue
matrix (one row per reading of an ambiguous title, as the ranker uses) plus a top-k
(argpartition). A second, tighter floor does the same product reading only the matrix rows of
the citizen's features (a row slice and one mat-vec, which is what the ranker does). Then batch
throughput, profiles per second, at 10,000.
Opportunities are drawn from the quality benchmark's generator (titles and skills repeat, as in
real catalogues, so linking is memoised).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid

import numpy as np

from benchmarks.generate import generate
from services.matcher.adapters.esco_store import load_index, load_ranker
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.ranking import Ranker
from shared.contracts import CitizenProfile, Opportunity


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def catalogue_of(size: int, pool: list[Opportunity], seed: int = 1) -> Catalogue:
    rng = random.Random(seed)
    cat = Catalogue()
    for n in range(size):
        cat.upsert(uuid.UUID(int=n + 1), rng.choice(pool))
    return cat


def measure(ranker: Ranker, cat: Catalogue, profiles: list[CitizenProfile], top_n: int) -> str:
    t = time.perf_counter()
    ci = ranker.indexer.index(cat)
    build = time.perf_counter() - t
    ranker.rank(profiles[0], cat, top_n=top_n)  # warm
    cold: list[float] = []
    ours: list[float] = []
    floor: list[float] = []
    sliced: list[float] = []  # the same product reading only the citizen's rows (as the ranker does)
    for p in profiles:
        ranker.linker.forget()  # a new citizen: their texts have never been linked
        t = time.perf_counter()
        ranker.rank(p, cat, top_n=top_n)
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        ranker.rank(p, cat, top_n=top_n)  # the same citizen again: texts already linked
        ours.append(time.perf_counter() - t)
        vec = ranker.space.vector(ranker.space.profile(p))  # encoded outside the floor's clock
        t = time.perf_counter()
        scores = (vec @ ci.features_t).toarray().ravel()
        k = min(top_n, scores.size - 1)
        top = np.argpartition(-scores, k)[:top_n]
        top[np.argsort(-scores[top])]
        floor.append(time.perf_counter() - t)
        t = time.perf_counter()
        scores = np.asarray(ci.features_t[vec.indices].T @ vec.data).ravel()
        top = np.argpartition(-scores, k)[:top_n]
        top[np.argsort(-scores[top])]
        sliced.append(time.perf_counter() - t)
    ratio = statistics.median(ours) / statistics.median(floor)
    mb = (ci.features_t.data.nbytes + ci.features_t.indices.nbytes) / 1e6
    return (
        f"| {len(cat):,} | {build:.1f} s | {mb:.0f} MB | {1000 * statistics.median(cold):.1f} | "
        f"{1000 * _pct(cold, 99):.1f} | {1000 * statistics.median(ours):.1f} | "
        f"{1000 * _pct(ours, 99):.1f} | {1000 * statistics.median(floor):.2f} | "
        f"{1000 * _pct(floor, 99):.2f} | {ratio:.1f}× | {statistics.median(cold) / statistics.median(floor):.1f}× | "
        f"{1000 * statistics.median(sliced):.2f} | {statistics.median(ours) / statistics.median(sliced):.1f}× |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    t = time.perf_counter()
    ranker = load_ranker()
    print(
        f"# ranker load (artifact + cached linker + feature IDF): {time.perf_counter() - t:.1f} s"
    )
    bench = generate(
        load_index(), seed=11, n_opps=4000, n_profiles=args.profiles, n_occupations=1500
    )
    pool = [Opportunity.model_validate(p) for _, _, p in bench.opportunities]
    profiles = [CitizenProfile.model_validate(c.payload) for c in bench.cases]
    print(
        "| opportunities | index build | matrix | new citizen median ms | p99 ms "
        "| texts linked median ms | p99 ms | floor median ms | floor p99 ms "
        "| linked / floor | new / floor | sliced floor median ms | linked / sliced floor |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        print(measure(ranker, catalogue_of(size, pool), profiles, args.top), flush=True)
    cat = catalogue_of(10_000, pool)
    ranker.rank(profiles[0], cat, top_n=args.top)
    t = time.perf_counter()
    for p in profiles:
        ranker.linker.forget()
        ranker.rank(p, cat, top_n=args.top)
    rate = len(profiles) / (time.perf_counter() - t)
    print(
        f"\nbatch throughput at 10,000 opportunities, one process, every citizen new: "
        f"{rate:.0f} profiles/s ({len(profiles)} profiles, top {args.top})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
