"""One plain sentence in Danish and one in English for why something was proposed."""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts import Certificate, DrivingLicence, Opportunity

CERTIFICATE_NAMES: dict[Certificate, tuple[str, str]] = {
    Certificate.FORKLIFT: ("truckcertifikat", "a forklift certificate"),
    Certificate.HYGIENE: ("hygiejnebevis", "a food hygiene certificate"),
    Certificate.FIRST_AID: ("førstehjælpsbevis", "a first aid certificate"),
    Certificate.CRANE: ("kranførerbevis", "a crane certificate"),
    Certificate.WORK_AT_HEIGHT: ("bevis til lift og stillads", "a work-at-height certificate"),
    Certificate.SAFETY_CARD: ("sikkerhedskort", "a construction safety card"),
    Certificate.ADR: ("ADR-bevis til farligt gods", "an ADR certificate for dangerous goods"),
    Certificate.DRIVER_QUALIFICATION: ("chaufføruddannelse", "a driver qualification"),
    Certificate.CLEANING: ("bevis i erhvervsrengøring", "a cleaning certificate"),
    Certificate.CARE_ASSISTANT: (
        "uddannelse som social- og sundhedshjælper",
        "care assistant training",
    ),
}
_MODES = {
    "walk": ("til fods", "on foot"),
    "bike": ("på cykel", "by bike"),
    "public_transport": ("med bus eller tog", "by bus or train"),
    "car": ("i bil", "by car"),
}


def certificate_name(c: Certificate, language: str) -> str:
    da, en = CERTIFICATE_NAMES[c]
    return da if language == "da" else en


def licence_name(code: DrivingLicence, language: str) -> str:
    return f"kørekort til {code.value}" if language == "da" else f"a category {code.value} driving licence"


def _join(items: Sequence[str], word: str) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


def _commute(minutes: float | None, mode: str | None) -> tuple[str, str]:
    if minutes is None or mode is None:
        return "", ""
    da, en = _MODES[mode]
    return f", cirka {minutes:.0f} minutter {da}", f", about {minutes:.0f} minutes {en}"


def sentences(
    opp: Opportunity,
    rule: str,
    *,
    matched: Sequence[str],
    minutes: float | None,
    mode: str | None,
    gap_da: Sequence[str] = (),
    gap_en: Sequence[str] = (),
    opens_job: str = "",
) -> tuple[str, str]:
    """(Danish, English) sentence for one proposal."""
    c_da, c_en = _commute(minutes, mode)
    head_da = f"{opp.title} hos {opp.owner.name} i {opp.location.town}{c_da}"
    head_en = f"{opp.title} at {opp.owner.name} in {opp.location.town}{c_en}"
    skills_da = _join(matched[:3], "og") if matched else ""
    skills_en = _join(matched[:3], "and") if matched else ""
    if rule == "closes_skill_gap" and gap_da:
        return (
            f"{head_da}: her kan du få {_join(gap_da, 'og')}, som du mangler til jobbet {opens_job}.",
            f"{head_en}: here you can get {_join(gap_en, 'and')}, which you need for the job {opens_job}.",
        )
    if rule == "danish_at_work_first":
        return (
            f"{head_da}: her lærer du dansk på arbejdet med en mentor"
            + (f", og du kan bruge det, du kan: {skills_da}." if matched else "."),
            f"{head_en}: here you learn Danish at work with a mentor"
            + (f", and you can use what you can do: {skills_en}." if matched else "."),
        )
    if rule == "ordinary_employment_first":
        return (
            f"{head_da}: et almindeligt job" + (f", som passer til det, du kan: {skills_da}." if matched else "."),
            f"{head_en}: an ordinary job" + (f" that fits what you can do: {skills_en}." if matched else "."),
        )
    if rule == "association_interest":
        like_da = f", og den passer til din interesse for {_join(matched[:2], 'og')}" if matched else ""
        like_en = f", and it matches your interest in {_join(matched[:2], 'and')}" if matched else ""
        return (f"{head_da}{like_da}.", f"{head_en}{like_en}.")
    return (
        head_da + (f", og det passer til det, du kan: {skills_da}." if matched else "."),
        head_en + (f", and it fits what you can do: {skills_en}." if matched else "."),
    )
