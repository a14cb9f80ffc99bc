"""The derive script takes the project's unofficial Danish skill labels, or ESCO's official ones."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmarks.danish_linking import derive_module
from services.matcher.adapters.esco_store import load_index

ROOT = Path(__file__).resolve().parent.parent.parent
URI = "http://data.europa.eu/esco/skill/"


def _skill_rows() -> list[dict[str, str]]:
    """The skills of the unofficial file, as skills_en.csv rows would give them."""
    path = ROOT / "services" / "matcher" / "data" / "sources" / "skills_da.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [{"conceptUri": r["conceptUri"], "preferredLabel": r["preferredLabel_en"]} for r in rows]


def test_without_an_official_file_the_unofficial_labels_are_used(tmp_path: Path) -> None:
    rows = _skill_rows()
    labels, source = derive_module().danish_skill_labels(tmp_path, rows)
    assert source == "unofficial"
    assert labels[rows[0]["conceptUri"]][0] == "lede personale"


def test_an_official_danish_csv_takes_the_place_of_the_unofficial_labels(tmp_path: Path) -> None:
    rows = _skill_rows()
    with (tmp_path / "skills_da.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["conceptUri", "preferredLabel", "altLabels", "hiddenLabels"])
        writer.writeheader()
        writer.writerow(
            {
                "conceptUri": rows[0]["conceptUri"],
                "preferredLabel": "lede medarbejdere",
                "altLabels": "personaleledelse\nlede personale",
                "hiddenLabels": "",
            }
        )
    labels, source = derive_module().danish_skill_labels(tmp_path, rows)
    assert source == "official"
    assert labels == {rows[0]["conceptUri"]: ("lede medarbejdere", ["personaleledelse", "lede personale"])}


def test_a_row_whose_english_label_does_not_match_esco_is_refused(tmp_path: Path) -> None:
    rows = _skill_rows()
    rows[1]["preferredLabel"] = "something else"
    with pytest.raises(SystemExit, match="is not the ESCO skill"):
        derive_module().danish_skill_labels(tmp_path, rows)


def test_the_packaged_artifact_says_its_danish_skill_labels_are_unofficial() -> None:
    index = load_index()
    assert index.skill_labels_da == "unofficial"
    assert "unofficial" in index.attribution and "not ESCO's own" in index.attribution
    labelled = sum(1 for s in index.skills if s.label_da)
    assert labelled >= 10_949  # every skill an occupation lists as essential
    assert all(s.groups for s in index.skills if s.uri.startswith(URI) and s.label_da)
