"""Skill gaps: for near-miss jobs, what is missing, and which education step closes the gap.

A near-miss job is one the citizen is kept from only by a certificate or driving licence (a hard
rule) and that is relevant enough to be proposed without that rule (the proposal floor), or a
clearly relevant one they may take but whose occupation needs essential skills they have not
shown. An education step that grants the certificate or teaches a missing skill (one it names
itself, `taught_by`) is proposed for it, ranked by how relevant the job it opens is. For papers, the
job is closed without them: 0.1 + 0.9 × that job's relevance (above the job, in its place), times
the share of the papers the citizen lacks for it that the step gives (the lorry licence course is
half of what opens a lorry job that also asks for the driver's qualification, and comes after a
delivery job the citizen may take now). For skills, the citizen may take the job already:
the step counts as any course does (`strategy.EDUCATION_FACTOR` × the job's relevance), times the
share of the job's missing essential skills it teaches, so it never outranks the job (a home helper
was offered first a childcare course that taught the one skill a care home's job listed and she lacked).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from services.matcher.domain.catalogue_index import KINDS, CatalogueIndex
from services.matcher.domain.features import FeatureSpace
from services.matcher.domain.screening import Screen
from services.matcher.domain.strategy import EDUCATION_FACTOR
from shared.contracts import OpportunityKind

#: The relevance floor: below it nothing is proposed, however the strategy would lift it (an
#: education step that closes a near-miss job's gap counts with that job's relevance). A job kept
#: out only by its papers counts as a near miss from here: it would be proposed with them.
MIN_RELEVANCE = 0.12
#: A job the citizen may take counts for a skill-gap step from here (a course for a few of the
#: skills of a loosely related job is not worth proposing).
SKILL_GAP_RELEVANCE = 0.3
_MAX_JOBS = 10
#: At most this many steps, the nearest, are tied to one job as giving its papers (a catalogue may
#: hold dozens of forklift courses; only the nearest few can be proposed anyway).
_MAX_STEPS = 16
_EDUCATION = KINDS.index(OpportunityKind.EDUCATION_STEP)
_JOBS = (KINDS.index(OpportunityKind.ORDINARY_JOB), KINDS.index(OpportunityKind.LANGUAGE_PLACEMENT))


@dataclass
class GapPlan:
    score: dict[int, float] = field(default_factory=dict)  # education position -> score
    # education position -> job positions, those it gives papers for first, each part best first
    opens: dict[int, list[int]] = field(default_factory=dict)
    by_papers: dict[int, list[int]] = field(default_factory=dict)  # ... only those it gives papers for
    closes_skills: dict[int, set[int]] = field(default_factory=dict)  # education -> skill positions


def missing_essentials(space: FeatureSpace, occupations: tuple[int, ...], has: set[int]) -> set[int]:
    need: set[int] = set()
    for occ in occupations:
        need.update(space.index.occupations[occ].essential)
    return need - has


def taught_by(space: FeatureSpace, ci: CatalogueIndex, e: int) -> set[int]:
    """What education step e teaches: the skills it names itself, or, when it names none, the
    essential skills of the occupation its title links to. Never its occupation's optional skills:
    a welding course does not teach "monitor stock level" because ESCO lists it for welders."""
    row = ci.rows[e]
    if row.named:
        return set(row.named)
    return missing_essentials(space, row.occupations, set())


def _nearest(steps: npt.NDArray[np.intp], minutes: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.intp]:
    """The k steps with the shortest commute (the first k when the home is unknown), in position order."""
    if steps.size <= k:
        return steps
    return np.sort(steps[np.argsort(np.nan_to_num(minutes[steps], nan=0.0), kind="stable")[:k]])


def plan_gaps(
    space: FeatureSpace,
    ci: CatalogueIndex,
    relevance: npt.NDArray[np.float64],
    sc: Screen,
    citizen_skills: set[int],
) -> GapPlan:
    plan = GapPlan()
    education = sc.allowed & (ci.kind == _EDUCATION)
    if not education.any():
        return plan
    jobs = np.isin(ci.kind, _JOBS) & (relevance >= MIN_RELEVANCE)

    def top(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
        idx = np.flatnonzero(mask)
        return idx[np.argsort(-relevance[idx], kind="stable")[:_MAX_JOBS]]

    def opens(e: int, job: int, score: float) -> None:
        """Step e opens (or helps towards) job, and scores at least `score` for it."""
        plan.opens.setdefault(e, []).append(job)
        plan.score[e] = max(plan.score.get(e, 0.0), score)

    for j in top(jobs & sc.near_miss).tolist():
        bits = int(sc.missing_certs[j])
        grants = education & ((ci.grants_certs & bits) != 0)
        if sc.missing_licence[j]:
            grants |= education & (ci.grants_licence == ci.licence[j])
        lacks = bits.bit_count() + bool(sc.missing_licence[j])
        for e in _nearest(np.flatnonzero(grants), sc.minutes, _MAX_STEPS).tolist():
            # A lorry job lacking the C licence and the driver's qualification is opened by neither
            # course alone: each counts for its share of the papers.
            gives = (int(ci.grants_certs[e]) & bits).bit_count()
            gives += int(bool(sc.missing_licence[j]) and int(ci.grants_licence[e]) == int(ci.licence[j]))
            opens(e, j, (0.1 + 0.9 * float(relevance[j])) * gives / lacks)
            plan.by_papers.setdefault(e, []).append(j)
    for j in top(jobs & sc.allowed & (relevance >= SKILL_GAP_RELEVANCE))[:5]:
        missing = missing_essentials(space, ci.rows[j].occupations, citizen_skills)
        if not missing:
            continue
        feats = np.array(sorted(space.skill_feature(s) for s in missing), dtype=np.intp)
        rows = ci.features_t[feats]
        teaches = np.zeros(len(ci), dtype=np.bool_)
        teaches[ci.owner[rows.indices[rows.data != 0]]] = True  # some reading has the skill
        for e in np.flatnonzero(education & teaches):
            taught = taught_by(space, ci, int(e)) & missing
            if not taught:
                continue
            # The citizen may take the job now: the course counts as a course, for the share of the
            # job's missing skills it teaches. It stays below the job even when that job lacks one skill.
            opens(int(e), int(j), EDUCATION_FACTOR * float(relevance[j]) * len(taught) / len(missing))
            plan.closes_skills.setdefault(int(e), set()).update(taught)
    return plan
