"""Every text a page asks for exists in Danish and English: `t()` shows a missing key as the raw key
("contact_through_jobcentre"), which nobody should read."""

from __future__ import annotations

import re
from pathlib import Path

import services.intake
from services.intake.entrypoints.pages.text import TEXT

TEMPLATES = Path(services.intake.__file__).parent / "templates"
LITERAL = re.compile(r"""\bt\(\s*(["'])([a-z0-9_]+)\1\s*\)""")
PREFIX = re.compile(r"""\bt\(\s*(["'])([a-z0-9_]+_)\1\s*~""")


def _templates() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(TEMPLATES.glob("*.html"))}


def test_every_key_a_template_names_has_danish_and_english() -> None:
    seen = 0
    for name, source in _templates().items():
        for _, key in LITERAL.findall(source):
            seen += 1
            assert key in TEXT, f"{name}: t({key!r}) has no text"
            da, en = TEXT[key]
            assert da.strip() and en.strip(), (name, key)
    assert seen > 100  # the pattern still finds the templates' keys


def test_every_prefix_a_template_builds_a_key_from_has_texts() -> None:
    prefixes = {key for source in _templates().values() for _, key in PREFIX.findall(source)}
    assert {"kind_", "state_"} <= prefixes
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in TEXT), prefix



def test_every_certificate_role_and_igu_answer_the_pages_name_has_a_text() -> None:
    from services.intake.domain.access import Role
    from shared.contracts import Certificate

    keys = [f"certificate_{c.value}" for c in Certificate] + [f"role_{r.value}" for r in Role]
    keys += ["igu_unknown", "igu_yes", "igu_no", "test_studieproeve"]
    missing = [k for k in keys if k not in TEXT]
    assert missing == []
