"""`brobygger rank`: rank JSON Lines profiles against JSON Lines opportunities, offline.

    brobygger rank --opportunities opps.jsonl --profiles profiles.jsonl --top 10 [--capacity]

Each input line is the payload of the `Opportunity` or `CitizenProfile` contract (no event
envelope). A line may carry an extra top-level `"id"` (string), used as the opportunity or profile
id; otherwise the id is derived from the file name's role, the line number and the line's text.
Output: one JSON line per profile, in input order:
`{"profile_id": ..., "proposals": [{"opportunity_id", "kind", "score", "reasons"}, ...]}`, best
first, associations after the other kinds. Every hard rule applies except capacity, which
`--capacity` turns on, counted in memory within the run (`--per-place`, default 3).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypeVar

from pydantic import BaseModel, ValidationError

from services.matcher.domain.capacity import DEFAULT_PER_PLACE, InMemoryCapacity
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.model import RankedOpportunity
from services.matcher.domain.ranking import Ranker
from shared.contracts import CitizenProfile, Opportunity, derive_id

M = TypeVar("M", bound=BaseModel)


class InputError(Exception):
    """Bad input, named by file, line and field."""


def _read(path: Path, model: type[M], role: str) -> Iterator[tuple[str, M]]:
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path} line {n}: not JSON: {exc.msg} (column {exc.colno})") from exc
            if not isinstance(data, dict):
                raise InputError(f"{path} line {n}: expected a JSON object")
            raw_id = data.pop("id", None)
            try:
                item = model.model_validate(data)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"]) or "(line)"
                more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
                raise InputError(f"{path} line {n}: field `{where}`: {err['msg']}{more}") from exc
            yield (
                (str(raw_id) if raw_id is not None else str(derive_id(role, n, line.strip()))),
                item,
            )


def _proposal_json(item: RankedOpportunity, ids: dict[uuid.UUID, str]) -> dict[str, object]:
    return {
        "opportunity_id": ids[item.opportunity_id],
        "kind": item.opportunity.kind.value,
        "score": item.score,
        "reasons": item.reasons.model_dump(mode="json"),
    }


def run(
    ranker: Ranker,
    opportunities: Path,
    profiles: Path,
    top: int,
    capacity: bool,
    per_place: int,
    out: IO[str],
) -> None:
    catalogue = Catalogue()
    ids: dict[uuid.UUID, str] = {}
    for oid, opp in _read(opportunities, Opportunity, "opportunity"):
        key = derive_id("offline-opportunity", oid)
        ids[key] = oid
        catalogue.upsert(key, opp)
    ledger = InMemoryCapacity(per_place) if capacity else None
    for pid, profile in _read(profiles, CitizenProfile, "profile"):
        want = top * 4 if ledger else top
        result = ranker.rank(profile, catalogue, top_n=want)
        items: list[RankedOpportunity] = []
        for group in (result.proposals, result.associations):
            items += group[:top] if ledger is None else _take(group, ledger, pid, top)
        out.write(
            json.dumps(
                {"profile_id": pid, "proposals": [_proposal_json(i, ids) for i in items]},
                ensure_ascii=False,
            )
            + "\n"
        )


def _take(group: list[RankedOpportunity], ledger: InMemoryCapacity, pid: str, top: int) -> list[RankedOpportunity]:
    taken: list[RankedOpportunity] = []
    for item in group:
        if len(taken) == top:
            break
        if ledger.try_reserve(item.opportunity_id, derive_id(pid, item.opportunity_id), item.opportunity.capacity):
            taken.append(item)
    return taken


def main(argv: list[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["rank"]:
        args_in = args_in[1:]
    parser = argparse.ArgumentParser(prog="brobygger rank", description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=Path, required=True, help="JSON Lines of opportunities")
    parser.add_argument("--profiles", type=Path, required=True, help="JSON Lines of citizen profiles")
    parser.add_argument("--top", type=int, default=10, help="proposals per list (default 10)")
    parser.add_argument("--capacity", action="store_true", help="count open proposals per place")
    parser.add_argument(
        "--per-place",
        type=int,
        default=DEFAULT_PER_PLACE,
        help=f"open proposals per free place with --capacity (default {DEFAULT_PER_PLACE})",
    )
    args = parser.parse_args(args_in)
    if args.top < 1:
        parser.error("--top must be at least 1")
    from services.matcher.adapters.esco_store import load_ranker

    try:
        run(
            load_ranker(),
            args.opportunities,
            args.profiles,
            args.top,
            args.capacity,
            args.per_place,
            sys.stdout,
        )
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
