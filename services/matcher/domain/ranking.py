"""A first ranking: text overlap between what the citizen did and what the opportunity asks for.

Hard rules (see `rules`) filter first; strategy adjusts the order: ordinary employment first
when the citizen qualifies, low-Danish citizens steered to placements with a Danish mentor.
Protected fields (gender, origin, age band, social-control concern) are never read here.
"""

from __future__ import annotations

import re
import unicodedata

from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.model import RankedOpportunity, RankingResult
from services.matcher.domain.rules import Verdict, check, level_rank
from shared.contracts import CitizenProfile, Opportunity, OpportunityKind, Reasons

_WORD = re.compile(r"[a-zæøå]+")
_STOP = {"og", "i", "at", "med", "til", "for", "af", "en", "et", "the", "and", "of", "with", "a", "in", "to"}


def _stems(text: str) -> set[str]:
    text = unicodedata.normalize("NFC", text.lower())
    return {w[:5] for w in _WORD.findall(text) if w not in _STOP and len(w) > 2}


def _profile_terms(p: CitizenProfile) -> dict[str, str]:
    """stem -> the citizen's own word, for the reasons."""
    terms: dict[str, str] = {}
    for text in [j.title for j in p.previous_jobs] + [s.text for s in p.skills if s.text]:
        for stem in _stems(text):
            terms.setdefault(stem, text)
    return terms


def _opportunity_terms(o: Opportunity) -> set[str]:
    parts = [o.title, o.occupation_text or "", *o.skills]
    if o.education:
        parts += o.education.teaches_skill_texts
    return set().union(*(_stems(t) for t in parts))


_LOW_DANISH = 2  # A2 or below


def _sentence(kind: OpportunityKind, o: Opportunity, matched: list[str], v: Verdict) -> tuple[str, str]:
    where_da = f" i {o.location.town}"
    where_en = f" in {o.location.town}"
    if v.commute:
        where_da += f", cirka {v.commute.minutes:.0f} minutter væk"
        where_en += f", about {v.commute.minutes:.0f} minutes away"
    if matched:
        skills = ", ".join(matched[:3])
        return (
            f"{o.title}{where_da}. Det passer til det, du kan: {skills}.",
            f"{o.title}{where_en}. It fits what you can do: {skills}.",
        )
    if o.danish_mentor:
        return (
            f"{o.title}{where_da}. Her kan du lære dansk på jobbet med en mentor.",
            f"{o.title}{where_en}. Here you can learn Danish at work with a mentor.",
        )
    return (f"{o.title}{where_da}.", f"{o.title}{where_en}.")


def rank(profile: CitizenProfile, catalogue: Catalogue, *, top_n: int = 10) -> RankingResult:
    """Rank the catalogue for one citizen."""
    citizen_terms = _profile_terms(profile)
    interests = set().union(*(_stems(i) for i in profile.interests)) if profile.interests else set()
    low_danish = level_rank(profile.danish.level) <= _LOW_DANISH
    proposals: list[RankedOpportunity] = []
    associations: list[RankedOpportunity] = []
    for oid, opp in catalogue.items():
        verdict = check(profile, opp)
        if not verdict.allowed:
            continue
        if opp.kind == OpportunityKind.ASSOCIATION_ACTIVITY:
            details = opp.association
            overlap = interests & (_stems(opp.title) | _stems(opp.description))
            score = len(overlap) + (0.5 if details and details.language_friendly and low_danish else 0.0)
            rule = "association_interest"
            matched = sorted({w for w in profile.interests if _stems(w) & overlap})
        else:
            opp_terms = _opportunity_terms(opp)
            hit = sorted(set(citizen_terms) & opp_terms)
            matched = sorted({citizen_terms[s] for s in hit})
            score = len(hit) / (1 + len(opp_terms)) ** 0.5
            rule = "skills_match"
            if opp.kind == OpportunityKind.ORDINARY_JOB and hit:
                score += 1.0
                rule = "ordinary_employment_first"
            elif opp.kind == OpportunityKind.LANGUAGE_PLACEMENT and low_danish and opp.danish_mentor:
                score += 0.8
                rule = "danish_at_work_first"
        if verdict.commute:
            score -= verdict.commute.minutes / 600
        hours_fit = opp.schedule.hours_per_week <= profile.availability.hours_per_week or opp.kind in (
            OpportunityKind.ASSOCIATION_ACTIVITY, OpportunityKind.EDUCATION_STEP)
        if not hours_fit:
            score -= 0.5
        text_da, text_en = _sentence(opp.kind, opp, matched, verdict)
        reasons = Reasons(
            matched_skills=matched,
            commute_km=verdict.commute.km if verdict.commute else None,
            commute_minutes=verdict.commute.minutes if verdict.commute else None,
            commute_mode=verdict.commute.mode if verdict.commute else None,
            danish_level=profile.danish.level,
            required_danish_level=opp.min_danish_level,
            danish_mentor=opp.danish_mentor,
            hours_fit=hours_fit,
            rule=rule,
            text_da=text_da,
            text_en=text_en,
        )
        item = RankedOpportunity(oid, opp, round(score, 4), reasons)
        (associations if opp.kind == OpportunityKind.ASSOCIATION_ACTIVITY else proposals).append(item)
    proposals.sort(key=lambda r: (-r.score, str(r.opportunity_id)))
    associations.sort(key=lambda r: (-r.score, str(r.opportunity_id)))
    return RankingResult(proposals=proposals[:top_n], associations=associations[:top_n])
