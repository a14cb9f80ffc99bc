"""One plain sentence in Danish and one in English for why something was proposed (or not).

Danish sentences never carry an English label: a skill is named in Danish only in the citizen's
own words; one known only by its English ESCO label is phrased around ("det, jobbet kræver").
"""

from __future__ import annotations

from collections.abc import Sequence

from services.matcher.domain.rules import more_hours
from shared.contracts import Certificate, DrivingLicence, Opportunity, OpportunityKind, WeeklySlot

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
    return (
        f"kørekort til kategori {code.value}"
        if language == "da"
        else f"a category {code.value} driving licence"
    )


def _join(items: Sequence[str], word: str) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


def _commute(minutes: float | None, mode: str | None, from_postcode: bool = False) -> tuple[str, str]:
    if minutes is None or mode is None:
        return "", ""
    da, en = _MODES[mode]
    est_da = " (anslået ud fra dit postnummer)" if from_postcode else ""
    est_en = " (estimated from your postcode)" if from_postcode else ""
    return f", cirka {minutes:.0f} minutter {da}{est_da}", f", about {minutes:.0f} minutes {en}{est_en}"


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_DA = ("man", "tir", "ons", "tor", "fre", "lør", "søn")
_DAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _da(number: float) -> str:
    """A number as Danish writes it: '37,5'."""
    return f"{number:g}".replace(".", ",")


def _clock(t: object) -> str:
    text = str(t)[:5]
    return text[:2] if text.endswith(":00") else text


def slots_text(slots: Sequence[WeeklySlot], language: str) -> str:
    """'tir–fre 16–21, lør 9–12': days with the same hours together, runs of days joined."""
    names = _DAY_DA if language == "da" else _DAY_EN
    groups: dict[tuple[str, str], list[int]] = {}
    for s in slots:
        groups.setdefault((_clock(s.start), _clock(s.end)), []).append(_DAYS.index(s.day))
    parts = []
    for (start, end), days in groups.items():
        days = sorted(set(days))
        runs: list[str] = []
        first = prev = days[0]
        for d in [*days[1:], None]:
            if d is not None and d == prev + 1:
                prev = d
                continue
            runs.append(names[first] if first == prev else f"{names[first]}–{names[prev]}")
            if d is not None:
                first = prev = d
        parts.append(f"{', '.join(runs)} {start}–{end}")
    return ", ".join(parts)


def schedule_lines(
    opp: Opportunity, overlap: Sequence[WeeklySlot], citizen_hours: float
) -> tuple[str, str]:
    """One line on the working hours against the citizen's time ('' when nothing is fixed)."""
    da: list[str] = []
    en: list[str] = []
    if opp.schedule.slots:
        when_da, when_en = slots_text(opp.schedule.slots, "da"), slots_text(opp.schedule.slots, "en")
        if overlap:
            da.append(
                f"tiden er {when_da}, og det overlapper lidt med dine andre aftaler ({slots_text(overlap, 'da')})"
            )
            en.append(f"it is {when_en}, which overlaps a little with your other commitments "
                      f"({slots_text(overlap, 'en')})")
        else:
            da.append(f"tiden er {when_da}, og da er du fri")
            en.append(f"it is {when_en}; you are free then")
    hours = opp.schedule.hours_per_week
    if more_hours(hours, citizen_hours):
        da.append(f"det er {_da(hours)} timer om ugen, og du kan arbejde {_da(citizen_hours)}")
        en.append(f"it is {hours:g} hours a week and you can work {citizen_hours:g}")
    return "; ".join(da), "; ".join(en)


def sentences(
    opp: Opportunity,
    rule: str,
    *,
    matched: Sequence[str],
    minutes: float | None,
    mode: str | None,
    gap_da: Sequence[str] = (),
    gap_en: Sequence[str] = (),
    learn_da: Sequence[str] = (),
    learn_en: Sequence[str] = (),
    opens_job: str = "",
    also_da: str = "",
    also_en: str = "",
    from_postcode: bool = False,
    inferred_from: str = "",
    inferred_da: Sequence[str] = (),
    inferred_en: Sequence[str] = (),
    practise_danish: bool = False,
    worked_as: str = "",
    held: Sequence[Certificate] = (),
) -> tuple[str, str]:
    """(Danish, English) sentence for one proposal.

    `matched` are the citizen's own words for skills; `worked_as` a previous job (their words) of the
    opportunity's occupation; `inferred_from` a previous job whose usual skills the opportunity
    needs (`inferred_da` their Danish labels, only those that have one; `inferred_en` their English
    ones, in the same order); `held` the citizen's certificates that show a skill it needs ("du har
    truckcertifikat"); `also_da`/`also_en` the papers the job `opens_job` asks for besides those the
    step gives ("kørekort til kategori C").
    """
    c_da, c_en = _commute(minutes, mode, from_postcode)
    head_da = f"{opp.title} hos {opp.owner.name} i {opp.location.town}{c_da}"
    head_en = f"{opp.title} at {opp.owner.name} in {opp.location.town}{c_en}"
    # A course is not like earlier work and does not fit what you can do: it is in that field and
    # builds on it.
    course = opp.kind is OpportunityKind.EDUCATION_STEP
    fits_da, fits_en = ("det bygger videre på det, du kan", "it builds on what you can do") if course else (
        "det passer til det, du kan",
        "it fits what you can do",
    )
    if worked_as:  # a job title is not a skill: "it fits what you can do: cleaner" said it as one
        fit_da = f"{'kurset er inden for' if course else 'det ligner'} dit tidligere arbejde som {worked_as}"
        fit_en = f"{'the course is in the field of' if course else 'it is like'} your earlier work as {worked_as}"
        if matched:
            fit_da += f", og {fits_da}: {_join(matched[:3], 'og')}"
            fit_en += f", and {fits_en}: {_join(matched[:3], 'and')}"
    elif matched:
        fit_da = f"{fits_da}: {_join(matched[:3], 'og')}"
        fit_en = f"{fits_en}: {_join(matched[:3], 'and')}"
    elif inferred_from:
        # What the earlier job likely taught is named, so the caseworker can judge it: "meget af
        # arbejdet" told a day carer she knew much of a care-home job for two shared care skills.
        # A skill without a Danish label is phrased around, never named in English.
        what_da, what_en = ("det, kurset bygger på", "what the course builds on") if course else (
            "det, jobbet kræver",
            "what the job needs",
        )
        fit_da = f"som tidligere {inferred_from} kan du sikkert noget af {what_da}"
        fit_en = f"as a former {inferred_from} you can likely do some of {what_en}"
        if inferred_da:
            fit_da += f": {_join(inferred_da[:2], 'og')}"
        if inferred_en:
            fit_en += f": {_join(inferred_en[:2], 'and')}"
    else:
        fit_da = fit_en = ""
    if held:
        has_da = "du har " + _join([certificate_name(c, "da") for c in held], "og")
        has_en = "you have " + _join([certificate_name(c, "en") for c in held], "and")
        fit_da = f"{fit_da}, og {has_da}" if fit_da else has_da
        fit_en = f"{fit_en}, and {has_en}" if fit_en else has_en
    if rule == "closes_skill_gap" and (gap_da or gap_en or learn_da or learn_en):
        # A certificate is something you get; a skill label may be a verb or a noun, so it is listed.
        if gap_da or gap_en:
            da = f"{head_da}: her kan du få {_join(gap_da, 'og')}, som du mangler til jobbet {opens_job}"
            en = f"{head_en}: here you can get {_join(gap_en, 'and')}, which you need for the job {opens_job}"
            if also_da:  # a driving course alone does not open a care job that also asks for a certificate
                da += f" (jobbet kræver også {also_da})"
                en += f" (the job also needs {also_en})"
            da += f"; du lærer også: {_join(learn_da, 'og')}." if learn_da else "."
            en += f"; you also learn: {_join(learn_en, 'and')}." if learn_en else "."
            return da, en
        da = f"{head_da}: her lærer du noget af det, du mangler til jobbet {opens_job}"
        return (
            da + (f": {_join(learn_da, 'og')}." if learn_da else "."),
            f"{head_en}: here you learn some of what you need for the job {opens_job}: {_join(learn_en, 'and')}.",
        )
    if rule == "danish_at_work_first":
        return (
            f"{head_da}: her lærer du dansk på arbejdet med en mentor" + (f", og {fit_da}." if fit_da else "."),
            f"{head_en}: here you learn Danish at work with a mentor" + (f", and {fit_en}." if fit_en else "."),
        )
    if rule == "ordinary_employment_first":
        return (
            f"{head_da}: et almindeligt job" + (f", og {fit_da}." if fit_da else "."),
            f"{head_en}: an ordinary job" + (f", and {fit_en}." if fit_en else "."),
        )
    if rule == "association_interest":
        why_da = [f"den passer til din interesse for {_join(matched[:2], 'og')}"] if matched else []
        why_en = [f"it matches your interest in {_join(matched[:2], 'and')}"] if matched else []
        if practise_danish:
            why_da.append("her kan du øve dansk sammen med andre")
            why_en.append("here you can practise Danish with others")
        like_da = "".join(f", og {w}" for w in why_da)
        like_en = "".join(f", and {w}" for w in why_en)
        return (f"{head_da}{like_da}.", f"{head_en}{like_en}.")
    return (
        head_da + (f", og {fit_da}." if fit_da else "."),
        head_en + (f", and {fit_en}." if fit_en else "."),
    )


_RULE_DA = {
    "danish_level": "kræver mere dansk",
    "commute": "er for langt væk",
    "collides_with_danish_class": "ligger samtidig med din danskundervisning",
    "collides_with_commitments": "ligger samtidig med dine andre faste aftaler",
    "missing_certificate": "kræver et bevis, du ikke har",
    "missing_driving_licence": "kræver et kørekort, du ikke har",
    "not_legally_eligible": "kræver, at sagsbehandleren vurderer, at du kan få en IGU",
}
_RULE_EN = {
    "danish_level": "needs more Danish",
    "commute": "is too far away",
    "collides_with_danish_class": "is at the same time as your Danish class",
    "collides_with_commitments": "is at the same time as your other fixed commitments",
    "missing_certificate": "needs a certificate you do not have",
    "missing_driving_licence": "needs a driving licence you do not have",
    "not_legally_eligible": "needs the caseworker to judge that you can get an IGU",
}
NEAR_MISS_RULES = frozenset(_RULE_DA)


def why_not(opp: Opportunity, rules: Sequence[str], what_da: str, what_en: str) -> tuple[str, str]:
    """'X at Y in Z needs more Danish and is at the same time as your Danish class; it needs Danish
    at level A2 and a Danish class at another time than Tue 08:30–11:45.' Every rule it breaks is
    said; a missing certificate and licence once, as papers."""
    said = list(rules)
    if "missing_certificate" in said and "missing_driving_licence" in said:
        said.remove("missing_driving_licence")
        said[said.index("missing_certificate")] = "missing_papers"
    phrases_da = [_PAPERS_DA if r == "missing_papers" else _RULE_DA[r] for r in said]
    phrases_en = [_PAPERS_EN if r == "missing_papers" else _RULE_EN[r] for r in said]
    head_da = f"{opp.title} hos {opp.owner.name} i {opp.location.town} {_join(phrases_da, 'og')}"
    head_en = f"{opp.title} at {opp.owner.name} in {opp.location.town} {_join(phrases_en, 'and')}"
    return (
        head_da + (f"; {what_da}." if what_da else "."),
        head_en + (f"; {what_en}." if what_en else "."),
    )


def needs(items: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """'det kræver dansk på niveau A2 og et dansk-hold …' ('' when nothing is to be named)."""
    if not items:
        return "", ""
    return f"det kræver {_join([da for da, _ in items], 'og')}", f"it needs {_join([en for _, en in items], 'and')}"


def papers(certs: Sequence[Certificate], licence: DrivingLicence | None, language: str) -> str:
    """'hygiejnebevis og kørekort til kategori C' ('' for none)."""
    names = [certificate_name(c, language) for c in certs]
    if licence is not None:
        names.append(licence_name(licence, language))
    return _join(names, "og" if language == "da" else "and") if names else ""


def givers(steps: Sequence[tuple[Opportunity, Sequence[Certificate], DrivingLicence | None]]) -> tuple[str, str]:
    """'Kørekort til bil i Holbæk giver kørekort til kategori B, og Sosu-start i Holbæk giver …'."""

    def where(s: Opportunity, word: str) -> str:  # 'Kørekort – hold i Tølløse' says its town already
        return "" if s.location.town.casefold() in s.title.casefold() else f" {word} {s.location.town}"

    da = [f"{s.title}{where(s, 'i')} giver {papers(c, lic, 'da')}" for s, c, lic in steps]
    en = [f"{s.title}{where(s, 'in')} gives {papers(c, lic, 'en')}" for s, c, lic in steps]
    return ", og ".join(da), ", and ".join(en)


_PAPERS_DA = "kræver et bevis og et kørekort, du ikke har"
_PAPERS_EN = "needs a certificate and a driving licence you do not have"


_KIND_NOTE = {
    OpportunityKind.ORDINARY_JOB: ("Intet job passer godt endnu", "No job fits well yet"),
    OpportunityKind.LANGUAGE_PLACEMENT: (
        "Ingen praktik med dansk passer godt endnu",
        "No placement with Danish fits well yet",
    ),
    OpportunityKind.EDUCATION_STEP: ("Intet kursus passer godt endnu", "No course fits well yet"),
    OpportunityKind.ASSOCIATION_ACTIVITY: (
        "Ingen forening passer til dine interesser endnu",
        "No association matches your interests yet",
    ),
}
NOTE_KINDS = tuple(_KIND_NOTE)


def kind_note(kind: OpportunityKind, opener: Opportunity | None, opens: int) -> tuple[str, str]:
    """'No job fits well yet; the course X in Y would open 3 jobs.'"""
    da, en = _KIND_NOTE[kind]
    if opener is None:
        return f"{da}.", f"{en}."
    what_da = f"{opens} job" if opens != 1 else "et job"
    what_en = f"{opens} jobs" if opens != 1 else "a job"
    return (
        f"{da}; {opener.title} i {opener.location.town} vil åbne flest døre ({what_da}).",
        f"{en}; {opener.title} in {opener.location.town} would open the most doors ({what_en}).",
    )
