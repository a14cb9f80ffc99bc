"""Quality benchmark: recall@10, MRR@10 and nDCG@10 of the ranker and a naive TF-IDF baseline.

    .venv/bin/python -m benchmarks.quality [--seed 7] [--write DIR]
    .venv/bin/python -m benchmarks.quality --seeds 1 2 3 4 5 6 7

`--seeds` runs the generator once per seed and prints one line per seed and the mean (the two seeds
the issues name are two samples of the same generator; a change is judged on more). `--write DIR`
also writes opportunities.jsonl, profiles.jsonl and gold.jsonl, so the same data can
be ranked with `brobygger rank`.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from benchmarks.generate import PROFILE_KINDS, Benchmark, generate
from services.matcher.adapters.esco_store import load_ranker
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.esco import EscoIndex
from shared.contracts import CitizenProfile, Opportunity

K = 10


def metrics(ranked: Sequence[str], relevant: set[str]) -> tuple[float, float, float]:
    top = list(ranked[:K])
    hits = [1.0 if r in relevant else 0.0 for r in top]
    recall = sum(hits) / len(relevant)
    mrr = next((1.0 / (i + 1) for i, h in enumerate(hits) if h), 0.0)
    dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return recall, mrr, dcg / ideal


def _text(payload: dict[str, Any]) -> str:
    return " ".join([payload["title"], payload["description"], *payload["skills"]])


def _profile_text(payload: dict[str, Any]) -> str:
    jobs = [j["title"] for j in payload["previous_jobs"]]
    skills = [s["text"] for s in payload["skills"]]
    return " ".join(jobs + skills)


def run(bench: Benchmark) -> dict[str, dict[str, tuple[float, float, float]]]:
    by_occ: dict[int, set[str]] = {}
    for oid, occ, _ in bench.opportunities:
        by_occ.setdefault(occ, set()).add(oid)
    t0 = time.perf_counter()
    ranker = load_ranker()
    catalogue = Catalogue()
    names: dict[uuid.UUID, str] = {}
    for oid, _, payload in bench.opportunities:
        key = uuid.uuid5(uuid.NAMESPACE_URL, oid)
        names[key] = oid
        catalogue.upsert(key, Opportunity.model_validate(payload))
    ranker.indexer.index(catalogue)
    t_index = time.perf_counter() - t0
    vec = TfidfVectorizer()
    opp_matrix = vec.fit_transform([_text(p) for _, _, p in bench.opportunities])
    opp_ids = [oid for oid, _, _ in bench.opportunities]
    scores: dict[str, dict[str, list[tuple[float, float, float]]]] = {"esco": {}, "baseline": {}}
    t_rank = 0.0
    for case in bench.cases:
        relevant = by_occ[case.gold]
        t = time.perf_counter()
        result = ranker.rank(CitizenProfile.model_validate(case.payload), catalogue, top_n=K)
        t_rank += time.perf_counter() - t
        ours = [names[p.opportunity_id] for p in result.proposals]
        sims = (vec.transform([_profile_text(case.payload)]) @ opp_matrix.T).toarray().ravel()
        base = [opp_ids[i] for i in np.argsort(-sims, kind="stable")[:K]]
        for name, ranked in (("esco", ours), ("baseline", base)):
            for group in (case.kind, "all"):
                scores[name].setdefault(group, []).append(metrics(ranked, relevant))
    print(
        f"# catalogue index {t_index:.1f} s (ranker load + linking 2,000 opportunities); "
        f"ranking {1000 * t_rank / len(bench.cases):.1f} ms per profile"
    )
    means = {
        name: {g: np.mean(v, axis=0) for g, v in groups.items()} for name, groups in scores.items()
    }
    return {
        name: {g: (float(m[0]), float(m[1]), float(m[2])) for g, m in groups.items()}
        for name, groups in means.items()
    }


def table(result: dict[str, dict[str, tuple[float, float, float]]], bench: Benchmark) -> str:
    counts = {k: sum(1 for c in bench.cases if c.kind == k) for k in PROFILE_KINDS}
    counts["all"] = len(bench.cases)
    lines = [
        "| profiles | n | ranker | recall@10 | MRR@10 | nDCG@10 |",
        "|---|---|---|---|---|---|",
    ]
    for group in ("all", *PROFILE_KINDS):
        for name, label in (("esco", "ESCO ranker"), ("baseline", "TF-IDF baseline")):
            r, m, n = result[name][group]
            lines.append(f"| {group} | {counts[group]} | {label} | {r:.3f} | {m:.3f} | {n:.3f} |")
    return "\n".join(lines)


def write(bench: Benchmark, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "opportunities.jsonl").open("w", encoding="utf-8") as fh:
        for oid, _, payload in bench.opportunities:
            fh.write(json.dumps({"id": oid, **payload}, ensure_ascii=False) + "\n")
    with (out / "profiles.jsonl").open("w", encoding="utf-8") as fh:
        for case in bench.cases:
            fh.write(json.dumps({"id": case.profile_id, **case.payload}, ensure_ascii=False) + "\n")
    with (out / "gold.jsonl").open("w", encoding="utf-8") as fh:
        for case in bench.cases:
            fh.write(
                json.dumps(
                    {
                        "profile_id": case.profile_id,
                        "kind": case.kind,
                        "relevant": sorted(
                            o for o, occ, _ in bench.opportunities if occ == case.gold
                        ),
                    }
                )
                + "\n"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=7)
    seeds.add_argument("--seeds", type=int, nargs="+", default=None, help="several seeds: a summary and the mean")
    parser.add_argument("--write", type=Path, default=None, help="the data of one seed as JSONL files")
    args = parser.parse_args(argv)
    if args.seeds and args.write:
        parser.error("--write writes one seed's data: use it with --seed, not --seeds")
    from services.matcher.adapters.esco_store import load_index

    if args.seeds:
        return _several(load_index(), args.seeds)
    bench = generate(load_index(), seed=args.seed)
    n_occ = len({occ for _, occ, _ in bench.opportunities})
    print(
        f"# {len(bench.opportunities)} opportunities over {n_occ} occupations, "
        f"{len(bench.cases)} profiles, seed {args.seed}"
    )
    if args.write:
        write(bench, args.write)
    print(table(run(bench), bench))
    return 0


def _several(index: EscoIndex, seeds: list[int]) -> int:
    groups = ("all", "skills_only")
    print("| seed | recall@10 | MRR@10 | skills-only recall@10 | skills-only MRR@10 | baseline MRR@10 |")
    print("|---|---|---|---|---|---|")
    rows = []
    for seed in seeds:
        result = run(generate(index, seed=seed))
        row = [v for g in groups for v in result["esco"][g][:2]] + [result["baseline"]["all"][1]]
        rows.append(row)
        print(f"| {seed} | " + " | ".join(f"{v:.3f}" for v in row) + " |", flush=True)
    mean = np.mean(rows, axis=0)
    print(f"| mean of {len(seeds)} | " + " | ".join(f"{v:.4f}" for v in mean) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
