"""The rendered examples in docs/messages/ are what the templates produce today."""

from __future__ import annotations

from scripts.render_message_examples import OUT, render_all


def test_every_committed_example_matches_its_template() -> None:
    rendered = render_all()
    assert sorted(rendered) == sorted(p.name for p in OUT.iterdir()), "run scripts/render_message_examples.py"
    stale = [name for name, text in rendered.items() if (OUT / name).read_text(encoding="utf-8") != text]
    assert not stale, f"run scripts/render_message_examples.py: {stale}"


def test_arabic_is_right_to_left_and_every_part_names_its_language() -> None:
    html = (OUT / "offer.ar.html").read_text(encoding="utf-8")
    assert '<section lang="ar" dir="rtl"' in html and '<section lang="da" dir="ltr"' in html
    assert "<script" not in html
