"""The ranking benchmark in English and in a Danish variant, side by side.

    .venv/bin/python -m benchmarks.danish_quality [--seed 7]

Same data as `benchmarks.quality` (benchmarks/generate.py, rules unchanged). The Danish variant
keeps every profile and rewrites each skill the profile claims in Danish when the held-out (test)
half of `benchmarks/data/skill_phrases_da.tsv` has a phrase for that ESCO skill: the words a
caseworker would write, never a label the linker indexes. Other skills stay as generated. Both
variants are ranked by the same ranker in one process; the table also shows the profiles with at
least one skill rewritten, where the difference shows most.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import replace

from benchmarks.danish_linking import PHRASES, read_phrases
from benchmarks.generate import Benchmark, Case, generate
from benchmarks.quality import run
from services.matcher.adapters.esco_store import load_index
from services.matcher.domain.esco import EscoIndex


def danish_variant(bench: Benchmark, esco: EscoIndex, seed: int) -> tuple[Benchmark, set[str], int]:
    """The benchmark with skills rewritten in Danish; the rewritten profiles; skills rewritten."""
    rng = random.Random(seed)
    by_text: dict[str, int] = {}
    for i, s in enumerate(esco.skills):
        for label in (s.label_en, *s.labels_en):
            by_text.setdefault(label[:200], i)
    by_label = {s.label_en: i for i, s in enumerate(esco.skills)}
    danish: dict[int, list[str]] = {}
    for phrase, label in read_phrases(PHRASES, "test"):
        danish.setdefault(by_label[label], []).append(phrase)
    cases: list[Case] = []
    touched: set[str] = set()
    rewritten = 0
    for case in bench.cases:
        claims = []
        for claim in case.payload["skills"]:
            skill = by_text.get(claim["text"])
            if skill is not None and skill in danish:
                claims.append({"text": rng.choice(danish[skill])})
                touched.add(case.profile_id)
                rewritten += 1
            else:
                claims.append(claim)
        cases.append(replace(case, payload={**case.payload, "skills": claims}))
    return Benchmark(bench.opportunities, cases), touched, rewritten


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    esco = load_index()
    english = generate(esco, seed=args.seed)
    danish, touched, rewritten = danish_variant(english, esco, args.seed)
    n_skills = sum(len(c.payload["skills"]) for c in english.cases)
    print(
        f"# seed {args.seed}: {len(english.cases)} profiles, {rewritten} of {n_skills} skills "
        f"rewritten in Danish, in {len(touched)} profiles"
    )
    print("| profiles | n | variant | recall@10 | MRR@10 | nDCG@10 |")
    print("|---|---|---|---|---|---|")
    subsets = (("all", english), ("with Danish skills", _only(english, touched)))
    for name, bench in (("English", english), ("Danish", danish)):
        result = run(bench)["esco"]["all"]
        sub = run(_only(bench, touched))["esco"]["all"]
        for label, (r, m, n), size in (
            ("all", result, len(bench.cases)),
            ("with Danish skills", sub, len(subsets[1][1].cases)),
        ):
            print(f"| {label} | {size} | {name} | {r:.3f} | {m:.3f} | {n:.3f} |")
    return 0


def _only(bench: Benchmark, ids: set[str]) -> Benchmark:
    return Benchmark(bench.opportunities, [c for c in bench.cases if c.profile_id in ids])


if __name__ == "__main__":
    raise SystemExit(main())
