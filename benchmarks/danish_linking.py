"""Danish skill linking: how well the linker understands skills written the Danish way.

    .venv/bin/python -m benchmarks.danish_linking [--split test] [--esco ../shared/data/esco]

Two sets. `benchmarks/data/skill_phrases_da.tsv`: Danish skill phrases written the way job ads and
caseworkers phrase them, each mapped by hand to one ESCO skill (English preferred label), split
into a tuning half and a test half by a hash of the phrase before any tuning; report the test half.
`../shared/data/kompetencer/da_train.tsv`: phrases from real Danish job postings with only their
ESCO top group (S1–S8, K00–K10, A1/A2 attitudes, L1 languages; K99 "unclassified" is left out).

Figures: exact concept at 1 and at 5 (phrase set only), top-group accuracy (the best link's top
groups in the ESCO skills hierarchy include the gold one; a skill hanging under two top groups
counts for both; an attitude (A1/A2) is right when the linker flags the text as an attitude, i.e.
its best link is a transversal skill, `Skill.transversal`), and the
unlinked rate (no link above the linker's confidence floor). Top groups come from the hierarchy
files in `--esco`, so the figures do not depend on what the artifact carries.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from services.matcher.adapters.esco_store import load_linker
from services.matcher.domain.linking import Linker
from services.matcher.domain.text import normalise

ROOT = Path(__file__).resolve().parent.parent
PHRASES = ROOT / "benchmarks" / "data" / "skill_phrases_da.tsv"
DEFAULT_ESCO = ROOT.parent / "shared" / "data" / "esco"
DEFAULT_KOMPETENCER = ROOT.parent / "shared" / "data" / "kompetencer" / "da_train.tsv"


def derive_module() -> ModuleType:
    """scripts/derive_esco.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("derive_esco", ROOT / "scripts" / "derive_esco.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Score:
    n: int
    at1: float
    at5: float
    group: float
    unlinked: float


def read_phrases(path: Path, split: str) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(r["phrase"], r["esco_skill"]) for r in rows if split in ("all", r["split"])]


def score_phrases(
    linker: Linker, phrases: list[tuple[str, str]], groups: dict[str, set[str]]
) -> tuple[Score, list[str]]:
    by_label = {s.label_en: i for i, s in enumerate(linker.index.skills)}
    linked = linker.skills([p for p, _ in phrases])
    at1 = at5 = grp = unl = 0
    misses: list[str] = []
    for (phrase, gold_label), lt in zip(phrases, linked, strict=True):
        gold = by_label[gold_label]
        gold_groups = groups.get(linker.index.skills[gold].uri, set())
        top = [link.index for link in lt.links[:5]]
        if not top:
            unl += 1
            misses.append(f"unlinked  {phrase!r} (gold: {gold_label})")
            continue
        best_groups = groups.get(linker.index.skills[top[0]].uri, set())
        at1 += top[0] == gold
        at5 += gold in top
        grp += bool(best_groups & gold_groups)
        if top[0] != gold:
            misses.append(
                f"wrong     {phrase!r} -> {linker.index.skills[top[0]].label_en!r} "
                f"(gold: {gold_label})"
            )
    n = len(phrases)
    return Score(n, at1 / n, at5 / n, grp / n, unl / n), misses


def indexed_danish(linker: Linker) -> set[str]:
    """Normalised Danish skill labels the linker indexes (vocabulary and glossary)."""
    labels = {t for e in linker.index.glossary for t in e.terms_da}
    for s in linker.index.skills:
        labels |= {s.label_da, *s.labels_da}
    return {normalise(t) for t in labels if t}


def score_kompetencer(linker: Linker, path: Path, groups: dict[str, set[str]]) -> Score:
    with path.open(encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh if line.strip()]
    rows = [(p, g) for p, g in rows if g != "K99"]
    linked = linker.skills([p for p, _ in rows])
    grp = unl = 0
    for (_, gold), lt in zip(rows, linked, strict=True):
        if lt.best is None:
            unl += 1
            continue
        best = groups.get(linker.index.skills[lt.best.index].uri, set())
        grp += lt.attitude if gold.startswith("A") else gold in best
    n = len(rows)
    return Score(n, float("nan"), float("nan"), grp / n, unl / n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["test", "tune", "all"], default="test")
    parser.add_argument("--esco", type=Path, default=DEFAULT_ESCO)
    parser.add_argument("--kompetencer", type=Path, default=DEFAULT_KOMPETENCER)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    groups = derive_module().top_groups(args.esco)
    t0 = time.perf_counter()
    base = load_linker()
    linker = Linker(base.index, base.state, max_links=5)
    print(f"# linker loaded in {time.perf_counter() - t0:.1f} s")
    phrases = read_phrases(PHRASES, args.split)
    t0 = time.perf_counter()
    score, misses = score_phrases(linker, phrases, groups)
    elapsed = time.perf_counter() - t0
    print(f"# {len(phrases)} phrases linked in {elapsed:.2f} s")
    print("| set | n | concept@1 | concept@5 | top group right | unlinked |")
    print("|---|---|---|---|---|---|")
    print(
        f"| phrase set ({args.split}) | {score.n} | {score.at1:.3f} | {score.at5:.3f} | "
        f"{score.group:.3f} | {score.unlinked:.3f} |"
    )
    indexed = indexed_danish(linker)
    unseen = [(p, g) for p, g in phrases if normalise(p) not in indexed]
    u, _ = score_phrases(linker, unseen, groups)
    print(
        f"| phrase set ({args.split}), not equal to an indexed label | {u.n} | {u.at1:.3f} | "
        f"{u.at5:.3f} | {u.group:.3f} | {u.unlinked:.3f} |"
    )
    if args.kompetencer.exists():
        k = score_kompetencer(linker, args.kompetencer, groups)
        print(f"| kompetencer da_train | {k.n} | – | – | {k.group:.3f} | {k.unlinked:.3f} |")
    if args.misses:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
