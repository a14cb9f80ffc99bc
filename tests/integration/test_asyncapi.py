"""The generated AsyncAPI document passes the official parser (`@asyncapi/parser` from npm).

The parser is installed by this test's fixture into `.cache/asyncapi-parser` (never committed);
it needs node and npm, and the npm registry the first time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from brobygger.asyncapi import asyncapi
from shared.contracts import ALL_EVENTS
from shared.topics import Topics

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PARSER_DIR = ROOT / ".cache" / "asyncapi-parser"


@pytest.fixture(scope="module")
def parser_dir() -> Iterator[Path]:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run the official AsyncAPI parser; install Node.js 18+")
    if not (PARSER_DIR / "node_modules" / "@asyncapi" / "parser").is_dir():
        PARSER_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(PARSER_DIR),
             "@asyncapi/parser@3"],
            check=True,
            timeout=600,
        )
    yield PARSER_DIR / "node_modules"


def test_the_generated_asyncapi_document_has_no_errors_in_the_official_parser(
    parser_dir: Path, tmp_path: Path
) -> None:
    document = tmp_path / "asyncapi.json"
    document.write_text(json.dumps(asyncapi()))
    result = subprocess.run(
        ["node", str(ROOT / "scripts" / "validate_asyncapi.mjs"), str(document)],
        env={"ASYNCAPI_PARSER_DIR": str(parser_dir), "PATH": "/usr/bin:/bin:/usr/local/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines and lines[-1] == {"parsed": True, "errors": 0}, result.stdout + result.stderr
    assert result.returncode == 0


def test_the_document_covers_every_event_every_topic_and_the_dead_letter_publishers() -> None:
    doc = asyncapi()
    assert doc["asyncapi"] == "3.0.0"
    assert {e.__name__ for e in ALL_EVENTS} <= set(doc["components"]["schemas"])
    addresses = {c["address"] for c in doc["channels"].values()}
    assert set(Topics().all()) <= addresses
    for service in ("intake", "matcher", "notifier"):
        assert doc["operations"][f"{service}.deadLetters"]["action"] == "send"
    assert doc["operations"]["matcher.catalogue"]["action"] == "receive"
    refs = [part.split('"')[0] for part in json.dumps(doc).split('"$ref": "')[1:]]
    assert all(ref.startswith(("#/components/", "#/channels/", "#/servers/")) for ref in refs)
