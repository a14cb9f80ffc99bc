"""A ranking benchmark built from ESCO (the packaged artifact), with gold answers.

2,000 opportunities over at least 1,000 occupations, about 60% with only a Danish title (no
English text at all); 500 profiles: a quarter with only a previous job title (an alternative or
Danish label, never the English preferred one), a quarter with only skills, the rest both. Skills
are written with an alternative label 75% of the time, and every profile gets three unrelated
noise skills. Hard rules are satisfied by construction (consent, Danish level, commute, hours,
no certificates), so the benchmark measures ranking. Relevant: same ESCO occupation as the gold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from services.matcher.domain.esco import EscoIndex

HOLBAEK = (55.7158, 11.7128)
PROFILE_KINDS = ("title_only", "skills_only", "both")


@dataclass(frozen=True)
class Case:
    profile_id: str
    kind: str
    gold: int  # occupation position
    payload: dict[str, Any]


@dataclass(frozen=True)
class Benchmark:
    opportunities: list[tuple[str, int, dict[str, Any]]]  # id, occupation, payload
    cases: list[Case]


def _point(rng: random.Random) -> dict[str, float]:
    return {
        "lat": round(HOLBAEK[0] + rng.uniform(-0.06, 0.06), 5),
        "lon": round(HOLBAEK[1] + rng.uniform(-0.1, 0.1), 5),
    }


def _skill_text(esco: EscoIndex, skill: int, rng: random.Random, alt_share: float) -> str:
    s = esco.skills[skill]
    return rng.choice(s.labels_en) if s.labels_en and rng.random() < alt_share else s.label_en


def generate(
    esco: EscoIndex,
    *,
    seed: int = 7,
    n_opps: int = 2000,
    n_profiles: int = 500,
    n_occupations: int = 1200,
    alt_share: float = 0.75,
) -> Benchmark:
    rng = random.Random(seed)
    usable = [
        i
        for i, o in enumerate(esco.occupations)
        if len(o.essential) >= 5 and o.label_da and (o.labels_en or o.labels_da)
    ]
    chosen = rng.sample(usable, n_occupations)
    occ_of_opp = chosen + [rng.choice(chosen) for _ in range(n_opps - n_occupations)]
    rng.shuffle(occ_of_opp)
    opps: list[tuple[str, int, dict[str, Any]]] = []
    titles: dict[int, set[str]] = {}
    for n, occ_i in enumerate(occ_of_opp):
        occ = esco.occupations[occ_i]
        danish = rng.random() < 0.6
        if danish:
            title = rng.choice([occ.label_da, *occ.labels_da])
            description = f"Vi søger en {title.lower()} til en virksomhed i Holbæk Kommune."
            skills: list[str] = []
        else:
            title = rng.choice([occ.label_en, *occ.labels_en])
            skills = [_skill_text(esco, s, rng, 0.5) for s in rng.sample(occ.essential, 3)]
            description = f"We are looking for a {title}. You will {', '.join(skills)}."
        titles.setdefault(occ_i, set()).add(title.casefold())
        placement = rng.random() < 0.15
        payload: dict[str, Any] = {
            "kind": "language_placement" if placement else "ordinary_job",
            "owner": {
                "type": "company",
                "cvr": f"{10000000 + n}",
                "name": f"Virksomhed {n} (demo)",
            },
            "title": title[:200],
            "description": description[:4000],
            "skills": skills,
            "location": {"town": "Holbæk", "postcode": "4300", "point": _point(rng)},
            "schedule": {"hours_per_week": 25},
            "min_danish_level": rng.choice(["A2", None]),
            "danish_mentor": placement,
        }
        if placement:
            payload["placement_type"] = "virksomhedspraktik"
        opps.append((f"opp-{n:05d}", occ_i, payload))
    gold_pool = sorted(set(occ_of_opp))
    cases: list[Case] = []
    for n in range(n_profiles):
        kind = (
            PROFILE_KINDS[0] if n % 4 == 0 else PROFILE_KINDS[1] if n % 4 == 1 else PROFILE_KINDS[2]
        )
        gold = rng.choice(gold_pool)
        occ = esco.occupations[gold]
        jobs: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        if kind != "skills_only":
            options = [
                t
                for t in [*occ.labels_en, occ.label_da, *occ.labels_da]
                if t and t.casefold() not in titles[gold]
            ] or [*occ.labels_en, *occ.labels_da]
            jobs = [{"title": rng.choice(options)[:200], "years": 2}]
        if kind != "title_only":
            own = rng.sample(occ.essential, min(5, len(occ.essential)))
            claims = [{"text": _skill_text(esco, s, rng, alt_share)[:200]} for s in own]
        related = set(occ.essential) | set(occ.optional)
        noise = [s for s in rng.sample(range(len(esco.skills)), 20) if s not in related][:3]
        claims += [{"text": _skill_text(esco, s, rng, alt_share)[:200]} for s in noise]
        rng.shuffle(claims)
        payload = {
            "personal": {"name": f"Benchmark {n}", "home": _point(rng)},
            "home_postcode": "4300",
            "home_town": "Holbæk",
            "danish": {"level": "B1"},
            "previous_jobs": jobs,
            "skills": claims,
            "availability": {"hours_per_week": 37},
            "transport": {"bike": True, "public_transport": True, "max_commute_minutes": 90},
            "consent": {
                "ordinary_job": True,
                "language_placement": True,
                "education_step": True,
                "association_activity": True,
            },
        }
        cases.append(Case(f"profile-{n:04d}", kind, gold, payload))
    return Benchmark(opps, cases)
