"""The ESCO vocabulary the matcher needs: occupations, skills, their relations, the glossary.

Built from the parsed compact artifact (see scripts/derive_esco.py); loading it from disk is the
adapter's job (`adapters.esco_store`), so this module stays pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"
SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
#: Artifact format: 2 added Danish skill labels and each skill's top groups.
FORMAT = 2


@dataclass(frozen=True)
class Occupation:
    uri: str
    isco: str
    label_en: str
    label_da: str
    labels_en: tuple[str, ...]
    labels_da: tuple[str, ...]
    essential: tuple[int, ...]
    optional: tuple[int, ...]


@dataclass(frozen=True)
class Skill:
    uri: str
    type: str
    label_en: str
    labels_en: tuple[str, ...]
    label_da: str = ""
    labels_da: tuple[str, ...] = ()
    #: Top groups in ESCO's skills hierarchy: S1–S8 skills, T1–T6 transversal skills and
    #: attitudes, L1/L2 languages, K00–K99 knowledge fields (ISCED-F).
    groups: tuple[str, ...] = ()

    @property
    def transversal(self) -> bool:
        """An attitude or personal quality ("selvstændig", "fleksibel"), not a trade skill.

        ESCO files these only under the transversal groups T2–T6 (thinking, self-management,
        social, physical, life skills); T1 holds languages and numeracy, so it does not count,
        and a skill that also hangs under a skill group (S1–S8) is a trade skill.
        """
        return bool(self.groups) and all(g.startswith("T") and g != "T1" for g in self.groups)


@dataclass(frozen=True)
class GlossaryEntry:
    terms_da: tuple[str, ...]
    occupations: tuple[int, ...]
    skills: tuple[int, ...]


class EscoIndex:
    """Occupations and skills by position, and lookups by URI."""

    def __init__(
        self,
        occupations: Sequence[Occupation],
        skills: Sequence[Skill],
        glossary: Sequence[GlossaryEntry],
        attribution: str,
        version: str,
    ) -> None:
        self.occupations = tuple(occupations)
        self.skills = tuple(skills)
        self.glossary = tuple(glossary)
        self.attribution = attribution
        self.version = version
        self.occupation_by_uri = {o.uri: i for i, o in enumerate(self.occupations)}
        self.skill_by_uri = {s.uri: i for i, s in enumerate(self.skills)}
        #: Where the Danish skill labels come from: "official" (ESCO) or "unofficial" (ours).
        self.skill_labels_da = ""

    @classmethod
    def from_artifact(cls, data: Mapping[str, object]) -> EscoIndex:
        """Build from the parsed artifact JSON; a malformed artifact names the bad part."""
        if data.get("format") != FORMAT:
            raise ValueError(
                f"ESCO artifact: unsupported `format` {data.get('format')!r}, want {FORMAT} "
                "(re-run scripts/derive_esco.py)"
            )
        occs = [
            Occupation(
                OCCUPATION_PREFIX + str(r[0]),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                _strs(r[4]),
                _strs(r[5]),
                _ints(r[6]),
                _ints(r[7]),
            )
            for r in _rows(data, "occupations", 8)
        ]
        skills = [
            Skill(
                SKILL_PREFIX + str(r[0]),
                str(r[1]),
                str(r[2]),
                _strs(r[3]),
                str(r[4]),
                _strs(r[5]),
                _strs(r[6]),
            )
            for r in _rows(data, "skills", 7)
        ]
        glossary = [
            GlossaryEntry(_strs(r[0]), _ints(r[1]), _ints(r[2])) for r in _rows(data, "glossary", 3)
        ]
        index = cls(occs, skills, glossary, str(data["attribution"]), str(data["esco_version"]))
        index.skill_labels_da = str(data.get("skill_labels_da", ""))
        return index

    def occupation_label(self, index: int, language: str = "en") -> str:
        occ = self.occupations[index]
        return occ.label_da if language == "da" and occ.label_da else occ.label_en

    def skill_label(self, index: int, language: str = "en") -> str:
        skill = self.skills[index]
        return skill.label_da if language == "da" and skill.label_da else skill.label_en


def _rows(data: Mapping[str, object], key: str, width: int) -> list[Sequence[object]]:
    rows = data.get(key)
    if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == width for r in rows):
        raise ValueError(f"ESCO artifact: `{key}` must be a list of {width}-item lists")
    return rows


def _strs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"ESCO artifact: expected a list of labels, got {type(value).__name__}")
    return tuple(str(v) for v in value)


def _ints(value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ValueError(f"ESCO artifact: expected a list of indices, got {type(value).__name__}")
    return tuple(int(v) for v in value)
