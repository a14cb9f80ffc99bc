"""Derive the compact ESCO artifact the matcher ships with, from the full ESCO files.

    .venv/bin/python scripts/derive_esco.py [--source ../shared/data/esco] [--out FILE]

The product runs where the full ESCO files are absent, so only what the matcher needs is kept:
occupation and skill ids and labels (English preferred/alternative/hidden, Danish preferred and
alternative, STAR's Danish job titles), ISCO unit groups, the essential/optional occupation-skill
relations, each skill's top groups in the skills hierarchy (S1–S8, T1–T6, L1/L2, K00–K99), Danish
skill labels, and the reviewed Danish glossary (services/matcher/data/glossary_da.json) resolved to
ESCO ids. Output is deterministic gzip JSON (sorted, mtime 0) so re-running gives the same bytes.

Danish skill labels: ESCO's official `skills_da.csv` when it is in `--source` (same columns as
`skills_en.csv`: conceptUri, preferredLabel, altLabels, hiddenLabels), else the project's own
UNOFFICIAL labels in services/matcher/data/sources/skills_da.tsv (written and reviewed within the
project, not ESCO's). The artifact's `skill_labels_da` says which was used.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "services" / "matcher" / "data"
UNOFFICIAL_DA = DATA / "sources" / "skills_da.tsv"
OCC_PREFIX = "http://data.europa.eu/esco/occupation/"
SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
OBSOLETE_OCCUPATION = OCC_PREFIX + "a9e54177-a185-404d-b6e6-15663d31137e"
#: STAR relations precise enough to use a Danish job title as a label of the ESCO occupation.
STAR_RELATIONS = {"exactMatch", "closeMatch", "narrowMatch"}
ATTRIBUTION = (
    "This service uses the ESCO classification of the European Commission. "
    "ESCO v1.1.1 English labels and occupation-skill relations (European Commission, CC BY 4.0). "
    "Danish occupation labels adapted from ESCO v1.0.8 (European Commission) via the MELO "
    "benchmark (Avature, MIT licence). Danish national occupation crosswalk published on the ESCO "
    "portal by the Danish Agency for Labour Market and Recruitment (STAR) and the European "
    "Commission."
)
UNOFFICIAL_DA_NOTE = (
    " Danish skill and knowledge labels: unofficial, written and reviewed by the Brobygger project "
    "(not ESCO's own Danish labels)."
)
OFFICIAL_DA_NOTE = " Danish skill and knowledge labels: ESCO's official Danish labels."


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _lines(cell: str) -> list[str]:
    return [s.strip() for s in cell.split("\n") if s.strip()]


def _unique(labels: list[str], exclude: set[str]) -> list[str]:
    seen = {x.casefold() for x in exclude}
    out: list[str] = []
    for label in labels:
        if label.casefold() not in seen:
            seen.add(label.casefold())
            out.append(label)
    return out


def top_groups(source: Path) -> dict[str, set[str]]:
    """Each skill's top groups in the ESCO skills hierarchy: S1–S8, T1–T6, L1/L2, K00–K99.

    Knowledge hangs under the ISCED-F fields (`…/isced-f/04` becomes K04). A skill with several
    broader concepts can reach more than one top group; all are kept.
    """
    top: dict[str, str] = {}
    for r in _rows(source / "skillsHierarchy_en.csv"):
        uri = r["Level 1 URI"]
        if uri and not r["Level 2 URI"]:
            code = r["Level 1 code"] or "K" + uri.rsplit("/", 1)[-1]
            top[uri] = code
    broader: dict[str, list[str]] = {}
    for r in _rows(source / "broaderRelationsSkillPillar.csv"):
        broader.setdefault(r["conceptUri"], []).append(r["broaderUri"])
    memo: dict[str, set[str]] = {}

    def walk(uri: str, seen: frozenset[str]) -> set[str]:
        if uri in top:
            return {top[uri]}
        if uri in memo:
            return memo[uri]
        found: set[str] = set()
        for parent in broader.get(uri, []):
            if parent not in seen:
                found |= walk(parent, seen | {uri})
        memo[uri] = found
        return found

    return {uri: walk(uri, frozenset()) for uri in broader}


def _step(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)


def derive(source: Path, glossary_path: Path) -> dict[str, object]:
    t0 = time.perf_counter()
    occ_rows = sorted(_rows(source / "occupations_en.csv"), key=lambda r: r["conceptUri"])
    occ_index = {r["conceptUri"]: i for i, r in enumerate(occ_rows)}
    _step(f"read {len(occ_rows)} occupations", t0)

    da = {r["conceptUri"]: r for r in _rows(source / "occupations_da.csv")}
    star: dict[str, list[str]] = {}
    for r in _rows(source / "dk_star_occupations_to_esco_mapping.csv"):
        if r["mappingRelation"] in STAR_RELATIONS and r["escoUri"] in occ_index:
            star.setdefault(r["escoUri"], []).append(r["starPreferredLabel_da"].strip())
    _step(f"read {len(da)} Danish labels, STAR titles for {len(star)} occupations", t0)

    skill_rows = sorted(_rows(source / "skills_en.csv"), key=lambda r: r["conceptUri"])
    skill_index = {r["conceptUri"]: i for i, r in enumerate(skill_rows)}
    _step(f"read {len(skill_rows)} skills", t0)

    essential: list[list[int]] = [[] for _ in occ_rows]
    optional: list[list[int]] = [[] for _ in occ_rows]
    skipped = 0
    for r in _rows(source / "occupationSkillRelations_en.csv"):
        occ = occ_index.get(r["occupationUri"])
        if occ is None:
            skipped += 1
            continue
        target = essential if r["relationType"] == "essential" else optional
        target[occ].append(skill_index[r["skillUri"]])
    _step(f"read relations ({skipped} rows with an obsolete occupation skipped)", t0)

    occupations = []
    for i, r in enumerate(occ_rows):
        uri = r["conceptUri"]
        pref_en = r["preferredLabel"].strip()
        d = da.get(uri)
        pref_da = d["preferredLabel"].strip() if d else ""
        labels_en = _unique(_lines(r["altLabels"]) + _lines(r["hiddenLabels"]), {pref_en})
        labels_da = _unique((_lines(d["altLabels"]) if d else []) + star.get(uri, []), {pref_da})
        occupations.append(
            [
                uri.removeprefix(OCC_PREFIX),
                r["iscoGroup"],
                pref_en,
                pref_da,
                labels_en,
                labels_da,
                sorted(essential[i]),
                sorted(optional[i]),
            ]
        )
    groups = top_groups(source)
    skills_da, da_source = danish_skill_labels(source, skill_rows)
    _step(f"Danish labels for {len(skills_da)} skills ({da_source})", t0)
    skills = []
    for r in skill_rows:
        uri = r["conceptUri"]
        pref = r["preferredLabel"].strip()
        alt = _unique(_lines(r["altLabels"]) + _lines(r["hiddenLabels"]), {pref})
        pref_da, alt_da = skills_da.get(uri, ("", []))
        skills.append(
            [
                uri.removeprefix(SKILL_PREFIX),
                r["skillType"],
                pref,
                alt,
                pref_da,
                alt_da,
                sorted(groups.get(uri, set())),
            ]
        )

    glossary = _resolve_glossary(glossary_path, occ_rows, skill_rows)
    _step(f"resolved {len(glossary)} glossary entries", t0)
    return {
        "format": 2,
        "esco_version": "v1.1.1",
        "attribution": ATTRIBUTION
        + (OFFICIAL_DA_NOTE if da_source == "official" else UNOFFICIAL_DA_NOTE),
        "occupation_columns": [
            "id",
            "isco",
            "label_en",
            "label_da",
            "labels_en",
            "labels_da",
            "essential_skills",
            "optional_skills",
        ],
        "skill_columns": ["id", "type", "label_en", "labels_en", "label_da", "labels_da", "groups"],
        "skill_labels_da": da_source,
        "occupations": occupations,
        "skills": skills,
        "glossary": glossary,
    }


def danish_skill_labels(
    source: Path, skill_rows: list[dict[str, str]]
) -> tuple[dict[str, tuple[str, list[str]]], str]:
    """Danish (preferred, alternatives) per skill URI, and "official" or "unofficial".

    The unofficial file names each concept by URI and English preferred label; a row whose English
    label does not match ESCO's is refused, so a shifted or mistyped row cannot land on the wrong
    concept.
    """
    official = source / "skills_da.csv"
    labels: dict[str, tuple[str, list[str]]] = {}
    if official.exists():
        for r in _rows(official):
            pref = r["preferredLabel"].strip()
            if pref:
                alt = _lines(r.get("altLabels", "")) + _lines(r.get("hiddenLabels", ""))
                labels[r["conceptUri"]] = (pref, _unique(alt, {pref}))
        return labels, "official"
    english = {r["conceptUri"]: r["preferredLabel"].strip() for r in skill_rows}
    errors: list[str] = []
    with UNOFFICIAL_DA.open(encoding="utf-8", newline="") as fh:
        for n, r in enumerate(csv.DictReader(fh, delimiter="\t"), start=2):
            uri, pref = r["conceptUri"], r["preferredLabel_da"].strip()
            if english.get(uri) != r["preferredLabel_en"]:
                errors.append(f"line {n}: {uri} is not the ESCO skill {r['preferredLabel_en']!r}")
            elif not pref:
                errors.append(f"line {n}: empty `preferredLabel_da`")
            elif uri in labels:
                errors.append(f"line {n}: {uri} appears twice")
            else:
                alt = [a.strip() for a in r["altLabels_da"].split("|") if a.strip()]
                labels[uri] = (pref, _unique(alt, {pref}))
    if errors:
        raise SystemExit(f"{UNOFFICIAL_DA.name} errors:\n" + "\n".join(errors))
    return labels, "unofficial"


def _resolve_glossary(
    path: Path, occ_rows: list[dict[str, str]], skill_rows: list[dict[str, str]]
) -> list[list[object]]:
    by_occ = {r["preferredLabel"].strip(): i for i, r in enumerate(occ_rows)}
    by_skill = {r["preferredLabel"].strip(): i for i, r in enumerate(skill_rows)}
    entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    resolved: list[list[object]] = []
    errors: list[str] = []
    for n, entry in enumerate(entries, start=1):
        occs = [by_occ.get(label) for label in entry["occupations"]]
        skills = [by_skill.get(label) for label in entry["skills"]]
        errors += [
            f"entry {n}: occupation {lab!r} is not an ESCO preferred label"
            for lab, i in zip(entry["occupations"], occs, strict=True)
            if i is None
        ]
        errors += [
            f"entry {n}: skill {lab!r} is not an ESCO preferred label"
            for lab, i in zip(entry["skills"], skills, strict=True)
            if i is None
        ]
        resolved.append(
            [
                entry["terms"],
                [i for i in occs if i is not None],
                [i for i in skills if i is not None],
            ]
        )
    if errors:
        raise SystemExit("glossary errors:\n" + "\n".join(errors))
    return resolved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "esco")
    parser.add_argument("--glossary", type=Path, default=DATA / "glossary_da.json")
    parser.add_argument("--out", type=Path, default=DATA / "esco_compact.json.gz")
    args = parser.parse_args(argv)
    if not (args.source / "occupations_en.csv").exists():
        print(f"error: no ESCO files in {args.source} (use --source)", file=sys.stderr)
        return 2
    artifact = derive(args.source, args.glossary)
    raw = json.dumps(artifact, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with (
        args.out.open("wb") as fh,
        gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, compresslevel=9, filename="") as gz,
    ):
        gz.write(raw)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB gzip, {len(raw) / 1e6:.2f} MB JSON)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
