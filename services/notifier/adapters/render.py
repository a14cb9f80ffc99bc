"""Words for the notifier's messages: Jinja2 templates with gettext catalogues (Babel), one section per language.

The catalogues are the `.po` files under `services/notifier/locales/`, compiled in memory when the
notifier starts (no compiled `.mo` files in the repository). Message ids are English; English needs no
catalogue. HTML parts mark each section's language and direction (Arabic is right-to-left).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifier.domain.compose import CandidateNotice, Digest

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
LOCALES = HERE / "locales"
LANGUAGE_NAMES = {"da": "Dansk", "en": "English", "ar": "العربية", "uk": "Українська"}
ATTRIBUTION = "This service uses the ESCO classification of the European Commission."


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    code: str
    name: str
    dir: str
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]


@cache
def translations(code: str) -> gettext.NullTranslations:
    """The catalogue of one language, compiled from its `.po` file; English is the message ids themselves."""
    po = LOCALES / code / "LC_MESSAGES" / "messages.po"
    if code == "en" or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def section(code: str) -> Section:
    t = translations(code)
    return Section(code, LANGUAGE_NAMES[code], "rtl" if code == "ar" else "ltr", t.gettext, t.ngettext)


class Renderer:
    def __init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def _subject(self, msgid: str, languages: Iterable[str]) -> str:
        return " / ".join(dict.fromkeys(translations(code).gettext(msgid) for code in languages))

    def _render(self, name: str, subject: str, languages: tuple[str, ...], **context: object) -> Rendered:
        sections = [section(code) for code in languages]
        common = {"sections": sections, "subject": subject, "attribution": ATTRIBUTION, **context}
        text = self._env.get_template(f"{name}.txt.j2").render(common).strip() + "\n"
        html = self._env.get_template(f"{name}.html.j2").render(common)
        return Rendered(subject=subject, text=text, html=html, languages=languages)

    def digest(self, digest: Digest) -> Rendered:
        """The citizen's message: Danish first, then their language."""
        subject = self._subject("New suggestions for you", digest.languages)
        return self._render("digest", subject, digest.languages, d=digest)

    def candidate(self, notice: CandidateNotice) -> Rendered:
        """The owner's e-mail after a citizen's yes: Danish, then English."""
        languages = ("da", "en")
        return self._render("candidate", self._subject("A candidate said yes", languages), languages, n=notice)
