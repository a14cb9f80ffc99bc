from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from services.matcher.domain.proposing import proposal_id
from services.matcher.domain.ranking import Ranker
from services.matcher.entrypoints import offline
from services.matcher.entrypoints.offline import InputError, main, run
from shared.contracts import derive_id
from tests.samples import opportunity_payload, profile_payload


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_rank_writes_one_line_per_profile_in_input_order(ranker: Ranker, tmp_path: Path) -> None:
    opps = _write(tmp_path / "o.jsonl", [{"id": "job-1", **opportunity_payload()}])
    profs = _write(tmp_path / "p.jsonl", [{"id": "a", **profile_payload()}, profile_payload()])
    out = io.StringIO()
    run(ranker, opps, profs, top=5, capacity=False, per_place=3, out=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["profile_id"] for line in lines[:1]] == ["a"] and len(lines) == 2
    first = lines[0]["proposals"][0]
    assert first["opportunity_id"] == "job-1" and first["kind"] == "ordinary_job"
    assert first["reasons"]["text_da"] and isinstance(first["score"], float)


def test_capacity_flag_limits_open_proposals_per_place(ranker: Ranker, tmp_path: Path) -> None:
    opps = _write(tmp_path / "o.jsonl", [opportunity_payload(capacity=1)])
    profs = _write(tmp_path / "p.jsonl", [profile_payload() for _ in range(5)])
    out = io.StringIO()
    run(ranker, opps, profs, top=5, capacity=True, per_place=3, out=out)
    counts = [len(json.loads(line)["proposals"]) for line in out.getvalue().splitlines()]
    assert counts == [1, 1, 1, 0, 0]


def test_bad_input_names_the_line_and_the_field(ranker: Ranker, tmp_path: Path) -> None:
    bad = opportunity_payload()
    bad["location"]["point"]["lat"] = 99
    opps = _write(tmp_path / "o.jsonl", [opportunity_payload(), bad])
    profs = _write(tmp_path / "p.jsonl", [profile_payload()])
    with pytest.raises(InputError, match=r"line 2: field `location.point.lat`"):
        run(ranker, opps, profs, top=5, capacity=False, per_place=3, out=io.StringIO())


def test_main_reports_bad_json_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opps = tmp_path / "o.jsonl"
    opps.write_text("{not json\n", encoding="utf-8")
    profs = _write(tmp_path / "p.jsonl", [profile_payload()])
    code = main(["rank", "--opportunities", str(opps), "--profiles", str(profs), "--top", "3"])
    assert code == 2
    assert "line 1: not JSON" in capsys.readouterr().err


def test_rank_uses_the_services_path_capacity_never_limits_associations(ranker: Ranker, tmp_path: Path) -> None:
    club = {
        "kind": "association_activity",
        "owner": {"type": "association", "association_id": "holbaek-if", "name": "Holbæk IF"},
        "title": "Fodbold for alle",
        "skills": [],
        "association": {"activity_type": "sports", "language_friendly": True},
        "capacity": 1,
    }
    opps = _write(tmp_path / "o.jsonl", [opportunity_payload(**club)])
    profs = _write(tmp_path / "p.jsonl", [profile_payload() for _ in range(5)])
    out = io.StringIO()
    run(ranker, opps, profs, top=5, capacity=True, per_place=1, out=out)
    counts = [len(json.loads(line)["proposals"]) for line in out.getvalue().splitlines()]
    assert counts == [1, 1, 1, 1, 1]


def test_rank_derives_proposal_ids_as_the_service_does(ranker: Ranker, tmp_path: Path) -> None:
    opps = _write(tmp_path / "o.jsonl", [{"id": "job-1", **opportunity_payload()}])
    profs = _write(tmp_path / "p.jsonl", [{"id": "a", **profile_payload()}])
    out = io.StringIO()
    run(ranker, opps, profs, top=5, capacity=False, per_place=3, out=out)
    line = json.loads(out.getvalue())
    trigger = derive_id("offline-rank", "a")
    opportunity = derive_id("offline-opportunity", "job-1")
    assert line["proposals"][0]["proposal_id"] == str(proposal_id(trigger, opportunity))
    assert line["notes"] and {"near_misses", "notes"} <= set(line)


def test_rank_help_documents_the_input_format_with_an_example_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["rank", "--help"])
    helptext = capsys.readouterr().out
    assert '"kind": "ordinary_job"' in helptext and '"consent"' in helptext
    assert "--capacity" in helptext and "one JSON line per profile" in helptext


def test_the_example_lines_in_rank_help_are_valid_input(ranker: Ranker, tmp_path: Path) -> None:
    doc = offline.__doc__ or ""
    blocks = [b for b in doc.split("\n\n") if b.startswith("  {")]
    opp_line, profile_line = (json.loads(" ".join(line.strip() for line in b.splitlines())) for b in blocks)
    opps = _write(tmp_path / "o.jsonl", [opp_line])
    profs = _write(tmp_path / "p.jsonl", [profile_line])
    out = io.StringIO()
    run(ranker, opps, profs, top=5, capacity=False, per_place=3, out=out)
    assert json.loads(out.getvalue())["profile_id"] == "c-1"
