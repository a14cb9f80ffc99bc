"""Every sentence of every message has words in every language it is sent in."""

from __future__ import annotations

from jinja2.ext import babel_extract

from services.notifier.adapters.render import LOCALES, TEMPLATES, translations


def _msgids(template: str) -> set[str]:
    with (TEMPLATES / template).open("rb") as f:
        found = babel_extract(f, ("_", "ngettext"), [], {"extensions": "jinja2.ext.i18n"})
        ids = set()
        for _, _, message, _ in found:
            ids.add(message[0] if isinstance(message, tuple) else message)
    assert ids, template
    return ids


def test_the_citizens_messages_are_translated_into_danish_arabic_and_ukrainian() -> None:
    ids = _msgids("digest.txt.j2") | _msgids("digest.html.j2") | _msgids("_macros.j2") | {"New suggestions for you"}
    for code in ("da", "ar", "uk"):
        t = translations(code)
        # List marks are Arabic's own; the decimal mark is Danish and Ukrainian's (Arabic here writes 37.5).
        same = ("Job", "E-mail:", ".") if code == "ar" else ("Job", "E-mail:", ", ", "; ")
        missing = sorted(i for i in ids if t.gettext(i) == i and i not in same)
        assert not missing, f"{code}: {missing}"


def test_the_owners_messages_are_translated_into_danish() -> None:
    ids = _msgids("candidate.txt.j2") | _msgids("candidate.html.j2") | {"A candidate said yes"}
    missing = sorted(i for i in ids if translations("da").gettext(i) == i and i not in ("E-mail:",))
    assert not missing


def test_every_catalogue_is_a_po_file_compiled_at_start_up() -> None:
    assert sorted(p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po")) == ["ar", "da", "uk"]
