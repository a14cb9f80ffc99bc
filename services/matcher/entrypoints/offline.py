"""`brobygger rank`: rank JSON Lines profiles against JSON Lines opportunities, offline.

    brobygger rank --opportunities opps.jsonl --profiles profiles.jsonl --top 10 [--capacity]

Input: each line of --opportunities is one `Opportunity` and each line of --profiles one
`CitizenProfile`, as the payload of the contract (no event envelope; `brobygger schema` prints
both schemas). A line may carry an extra top-level "id" (string), used as the opportunity or
profile id; otherwise the id is derived from the file's role, the line number and the line's text.
An opportunities line, for example:

  {"id": "job-1", "kind": "ordinary_job", "owner": {"type": "company", "cvr": "12345678",
   "name": "Fjordkøkkenet ApS"}, "title": "Køkkenmedhjælper", "location": {"town": "Holbæk",
   "postcode": "4300", "point": {"lat": 55.7158, "lon": 11.7128}}, "schedule": {"hours_per_week": 30}}

and a profiles line:

  {"id": "c-1", "personal": {"name": "Amina"}, "home_postcode": "4300", "home_town": "Holbæk",
   "previous_jobs": [{"title": "kok"}], "availability": {"hours_per_week": 30},
   "transport": {"max_commute_minutes": 45}, "consent": {"ordinary_job": true,
   "language_placement": true, "education_step": true, "association_activity": true}}

(each on one line). Output: one JSON line per profile, in input order:
{"profile_id", "proposals": [{"proposal_id", "opportunity_id", "kind", "score", "reasons"}, ...],
"notes": [...],
"near_misses": [...]}; proposals best first, associations after the other kinds; notes say which
kinds have nothing that fits well yet; near misses are what a hard rule excluded (for the
caseworker). The ranking, capacity and proposal ids are the service's own
(`services.matcher.domain.proposing.propose`); capacity is counted only with --capacity, in memory
within the run (--per-place, default 3), and never for associations.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypeVar

from pydantic import BaseModel, ValidationError

from services.matcher.domain.capacity import DEFAULT_PER_PLACE, CapacityLedger, InMemoryCapacity, Unlimited
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.model import RankedOpportunity, RankingResult
from services.matcher.domain.proposing import kind_notes, near_misses, proposal_id, propose
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


def _proposal_json(item: RankedOpportunity, ids: dict[uuid.UUID, str], trigger: uuid.UUID) -> dict[str, object]:
    return {
        "proposal_id": str(proposal_id(trigger, item.opportunity_id)),
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
    ledger: CapacityLedger = InMemoryCapacity(per_place) if capacity else Unlimited()

    def rank(p: CitizenProfile, c: Catalogue, n: int) -> RankingResult:
        return ranker.rank(p, c, top_n=n)

    for pid, profile in _read(profiles, CitizenProfile, "profile"):
        trigger = derive_id("offline-rank", pid)
        result = asyncio.run(propose(rank, profile, catalogue, ledger, trigger, top))
        items: list[RankedOpportunity] = [*result.proposals, *result.associations]
        line = {
            "profile_id": pid,
            "proposals": [_proposal_json(i, ids, trigger) for i in items],
            "notes": [
                {**n.model_dump(mode="json"), "opener_id": ids[n.opener_id] if n.opener_id else None}
                for n in kind_notes(result)
            ],
            "near_misses": [
                {**m.model_dump(mode="json"), "opportunity_id": ids[m.opportunity_id]} for m in near_misses(result)
            ],
        }
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["rank"]:
        args_in = args_in[1:]
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(
        prog="brobygger rank",
        description=doc.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
