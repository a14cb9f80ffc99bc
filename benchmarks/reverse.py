"""Reverse-match speed: one opportunity against 10,000 / 100,000 citizens, with the floor in the same run.

    .venv/bin/python -m benchmarks.reverse [--sizes 10000 100000] [--opportunities 100] [--unique 2000]

Citizens come from the quality benchmark's generator: `--unique` distinct profiles are encoded
(linked) once, and their rows repeated under new ids up to each size (linking is not what is
measured; the matrix product is). For each size: the matrix build time, then per opportunity

- ours: `CitizenMatrix.shortlist` — the product of the citizens' matrix with the opportunity's
  [features; coverage] block, the best reading per citizen, the masks (consent for the kind,
  relevance floor, excluded and busy citizens) and the top-k (k = 12, the shortlist for one place
  at 3 per place × 4), best first;
- the floor: the bare scipy sparse product of the same matrix with the same block and a top-k
  (argpartition) of its first column;
- the exact check: the citizen-side ranking of that one opportunity for each of the k shortlisted
  (`ReverseRanker.fit`), which does not grow with the number of citizens.

Medians and p99 in milliseconds, and ours / floor.

Then the same for association activities (each citizen given 1-3 leisure interests from a pool,
12 activities): ours is `CitizenMatrix.by_interest` (the product of every citizen's interest rows
with the activity's title and description columns, the best interest per citizen, the masks and the
top-k); the floor is the bare product of the same interest rows with the title column and a top-k.

Then the education steps of the demo catalogue (`brobygger/data/holbaek_demo.json`, taken as the
matcher's catalogue) that grant a certificate or licence some demo job needs, each shortlisted 5
times: ours is `CitizenMatrix.shortlist` with the jobs the step could open (`ReverseRanker.opens`:
its own block and the jobs' blocks, the near-miss masks per citizen and job, the best per citizen,
the masks and the top-k); the floor is the bare product of the same matrix with both blocks side by
side, the best column per citizen and a top-k. Finding the jobs (`openable`, on the catalogue's
index the citizen-side ranking keeps) and the exact check of the shortlisted (ranked against the step
and those jobs) are timed too.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from benchmarks.generate import generate
from brobygger.demo import load_demo_data
from services.matcher.adapters.esco_store import load_index, load_ranker
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.reverse import (
    SHORTLIST_PER_SLOT,
    CitizenMatrix,
    ReverseRanker,
    openable,
    opportunity_block,
)
from shared.contracts import CitizenProfile, Opportunity
from tests.samples import opportunity_payload

K = 3 * SHORTLIST_PER_SLOT
INTERESTS = ["fodbold", "strikning", "svømning", "madlavning", "korsang", "skak", "løb", "cykling", "havearbejde"]
ACTIVITIES = [
    "Fodbold for alle",
    "Strikkecafé",
    "Svømning for kvinder og mænd",
    "Fællesspisning og madlavning",
    "Kor for begyndere",
    "Skakklub",
    "Løbeklub",
    "Cykelværksted",
    "Fælleshaven",
    "Syklub",
    "Volleyball",
    "Brætspil",
]


def _bare(mt: sp.csr_matrix, columns: sp.csc_matrix, j: int) -> npt.NDArray[np.float64]:
    lo, hi = columns.indptr[j], columns.indptr[j + 1]
    return np.asarray(mt[columns.indices[lo:hi]].T @ columns.data[lo:hi]).ravel()


def _associations(reverse: ReverseRanker, matrix: CitizenMatrix, excluded: set[uuid.UUID]) -> str:
    """One table row for association activities: ours (by interest) against the bare product."""
    clubs = [
        Opportunity.model_validate(
            opportunity_payload(
                kind="association_activity",
                owner={"type": "association", "association_id": "bench", "name": "Bench IF"},
                title=title,
                occupation_text=None,
                skills=[],
                min_danish_level=None,
                association={"activity_type": "other", "language_friendly": True},
            )
        )
        for title in ACTIVITIES
    ]
    ai = reverse.associations(reverse.index({uuid.uuid4(): c for c in clubs}))
    t = time.perf_counter()
    m, _, _ = matrix.interest_rows()
    build = time.perf_counter() - t
    ours: list[float] = []
    floor: list[float] = []
    for _ in range(5):
        for j in range(len(clubs)):
            t = time.perf_counter()
            col = np.maximum(_bare(m, ai.titles, j), 0.7 * _bare(m, ai.descriptions, j))
            top = np.argpartition(-col, K)[:K]
            top[np.argsort(-col[top])]
            floor.append(time.perf_counter() - t)
            t = time.perf_counter()
            matrix.by_interest(ai, j, False, excluded, K)
            ours.append(time.perf_counter() - t)
    ratio = statistics.median(ours) / statistics.median(floor)
    return (
        f"| {len(matrix):,} ({m.shape[1]:,} interests) | {build:.2f} s | {_ms(ours)} | {_ms(ours, 99)} "
        f"| {_ms(floor)} | {_ms(floor, 99)} | {ratio:.2f}× |"
    )


def _demo_catalogue() -> Catalogue:
    catalogue = Catalogue()
    for entry in load_demo_data()["opportunities"]:
        catalogue.upsert(uuid.UUID(entry["id"]), Opportunity.model_validate(entry["payload"]))
    return catalogue


def _steps(
    reverse: ReverseRanker, matrix: CitizenMatrix, excluded: set[uuid.UUID], profiles: list[CitizenProfile]
) -> str:
    """One table row for education steps that open catalogue jobs: ours against the bare products."""
    assert reverse.catalogue is not None
    steps = [(oid, o) for oid, o in reverse.catalogue.items() if reverse.opens(oid, o) is not None]
    _, m, _ = matrix.matrix()
    full = reverse.catalogue_index()
    ours: list[float] = []
    floor: list[float] = []
    finding: list[float] = []
    exact: list[float] = []
    jobs: list[int] = []
    for _ in range(5):
        for oid, step in steps:
            ci = reverse.index({oid: step})
            t = time.perf_counter()
            opens = openable(full, step, ci.rows[0])
            finding.append(time.perf_counter() - t)
            assert opens is not None
            jobs.append(len(opens))
            both = sp.hstack([opportunity_block(ci, 0), opens.block], format="csr")
            t = time.perf_counter()
            best = np.asarray((m @ both).max(axis=1).todense()).ravel()
            top = np.argpartition(-best, K)[:K]
            top[np.argsort(-best[top])]
            floor.append(time.perf_counter() - t)
            t = time.perf_counter()
            short = matrix.shortlist(ci, 0, excluded, K, opens)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            for citizen_id, _ in short:
                reverse.fit(profiles[(citizen_id.int - 1) % len(profiles)], oid, step, opens)
            exact.append(time.perf_counter() - t)
    ratio = statistics.median(ours) / statistics.median(floor)
    return (
        f"| {len(matrix):,} | {len(steps)} ({min(jobs)}-{max(jobs)} jobs each) | {_ms(finding)} | {_ms(ours)} "
        f"| {_ms(ours, 99)} | {_ms(floor)} | {_ms(floor, 99)} | {ratio:.2f}× | {_ms(exact)} |"
    )


def _ms(values: list[float], q: float | None = None) -> str:
    v = statistics.median(values) if q is None else float(np.percentile(values, q))
    return f"{1000 * v:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--opportunities", type=int, default=100)
    parser.add_argument("--unique", type=int, default=2000)
    args = parser.parse_args(argv)
    reverse = ReverseRanker(load_ranker(), _demo_catalogue())
    bench = generate(load_index(), seed=11, n_opps=args.opportunities, n_profiles=args.unique, n_occupations=1500)
    opps = [Opportunity.model_validate(p) for _, _, p in bench.opportunities][: args.opportunities]
    pick = random.Random(3)
    profiles = [
        CitizenProfile.model_validate(c.payload).model_copy(
            update={"interests": pick.sample(INTERESTS, pick.randint(1, 3))}
        )
        for c in bench.cases
    ]
    t = time.perf_counter()
    rows = [reverse.row(p) for p in profiles]
    print(f"# {len(rows)} distinct citizens encoded in {time.perf_counter() - t:.1f} s (not in the figures)")
    print(
        "| citizens | matrix build | ours median ms | ours p99 ms | floor median ms | floor p99 ms | ours / floor "
        "| exact check of 12, median ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rng = random.Random(5)
    clubs: list[str] = []
    steps: list[str] = []
    for size in args.sizes:
        matrix = CitizenMatrix(reverse.width())
        for n in range(size):
            matrix.put(uuid.UUID(int=n + 1), rows[n % len(rows)])
        t = time.perf_counter()
        ids, m, _ = matrix.matrix()
        build = time.perf_counter() - t
        excluded = {ids[rng.randrange(size)] for _ in range(20)}  # a few declined or already proposed
        matrix.set_busy(ids[rng.randrange(size)] for _ in range(20))
        ours: list[float] = []
        floor: list[float] = []
        exact: list[float] = []
        for opp in opps:
            oid = uuid.uuid4()
            ci = reverse.index({oid: opp})
            block = opportunity_block(ci, 0)
            t = time.perf_counter()
            product = m @ block
            col = product[:, 0].toarray().ravel()
            top = np.argpartition(-col, K)[:K]
            top[np.argsort(-col[top])]
            floor.append(time.perf_counter() - t)
            t = time.perf_counter()
            short = matrix.shortlist(ci, 0, excluded, K)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            for citizen_id, _ in short:
                reverse.fit(profiles[(citizen_id.int - 1) % len(profiles)], oid, opp)
            exact.append(time.perf_counter() - t)
        ratio = statistics.median(ours) / statistics.median(floor)
        print(
            f"| {size:,} | {build:.2f} s | {_ms(ours)} | {_ms(ours, 99)} | {_ms(floor)} | {_ms(floor, 99)} "
            f"| {ratio:.2f}× | {_ms(exact)} |",
            flush=True,
        )
        clubs.append(_associations(reverse, matrix, excluded))
        steps.append(_steps(reverse, matrix, excluded, profiles))
    print(
        "\n| citizens | interest rows build | ours median ms | ours p99 ms | floor median ms | floor p99 ms "
        "| ours / floor |"
    )
    print("|---|---|---|---|---|---|---|")
    print("\n".join(clubs))
    print(
        "\n| citizens | steps | finding the jobs, median ms | ours median ms | ours p99 ms | floor median ms "
        "| floor p99 ms | ours / floor | exact check of 12, median ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(steps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
