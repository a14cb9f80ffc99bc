"""Ten written sample citizens for the trust suite, each a case a caseworker would check by hand.

Invented people; only work-related fields vary. Ranked against the committed Holbæk demo catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.samples import profile_payload

HOLBAEK = {"lat": 55.7158, "lon": 11.7128}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _citizen(
    *,
    jobs: list[str],
    skills: list[str],
    level: str | None,
    classes: list[tuple[str, str, str]],
    home: dict[str, float] | None = HOLBAEK,
    postcode: str = "4300",
    town: str = "Holbæk",
    unavailable: Sequence[tuple[str, str, str]] = (),
    hours: float = 37,
    commute: int = 45,
    licences: Sequence[str] = (),
    car: bool = False,
    certificates: Sequence[str] = (),
) -> dict[str, Any]:
    payload = profile_payload(
        home_postcode=postcode,
        home_town=town,
        danish={
            "course": "DU2",
            "module": 3,
            "level": level,
            "class_times": [{"day": d, "start": s, "end": e} for d, s, e in classes],
        },
        previous_jobs=[{"title": t, "years": 4} for t in jobs],
        skills=[{"text": t} for t in skills],
        certificates=list(certificates),
        availability={
            "hours_per_week": hours,
            "unavailable": [{"day": d, "start": s, "end": e} for d, s, e in unavailable],
        },
        transport={
            "driving_licences": list(licences),
            "car": car,
            "bike": True,
            "public_transport": True,
            "max_commute_minutes": commute,
        },
    )
    payload["personal"]["home"] = home
    return payload


#: name -> payload. The names say what each one tests.
CITIZENS: dict[str, dict[str, Any]] = {
    "nurse_without_a_matching_job": _citizen(
        jobs=["sygeplejerske"],
        skills=["sygepleje", "medicinhåndtering", "sårpleje"],
        level="A2",
        classes=[("mon", "17:00", "19:45"), ("wed", "17:00", "19:45")],
    ),
    "cleaner_with_afternoon_commitments": _citizen(
        jobs=["rengøringsassistent"],
        skills=["hotelrengøring", "gulvvask"],
        level="A1",
        classes=[("mon", "08:30", "11:45"), ("wed", "08:30", "11:45")],
        unavailable=[(d, "14:30", "16:30") for d in WEEKDAYS],
        hours=25,
    ),
    "carpenter_with_a_clashing_course": _citizen(
        jobs=["tømrer"],
        skills=["tagarbejde", "tømrerarbejde"],
        level="A2",
        classes=[("tue", "08:30", "11:45"), ("thu", "08:30", "11:45")],
        home={"lat": 55.654, "lon": 11.512},
        postcode="4440",
        town="Mørkøv",
        licences=["B"],
        car=True,
    ),
    "truck_driver": _citizen(
        jobs=["lastbilchauffør"],
        skills=["kørsel med lastbil", "lastning og losning", "færdselsregler"],
        level="A2",
        classes=[("tue", "17:00", "20:00"), ("thu", "17:00", "20:00")],
        home={"lat": 55.614, "lon": 11.765},
        postcode="4340",
        town="Tølløse",
        licences=["B", "C", "CE"],
        car=True,
    ),
    "cook_with_only_a_postcode": _citizen(
        jobs=["kok"],
        skills=["madlavning", "menuplanlægning"],
        level="B1",
        classes=[("thu", "17:00", "20:00")],
        home=None,
        postcode="4520",
        town="Svinninge",
        commute=30,
    ),
    "citizen_with_nothing_in_common": _citizen(
        jobs=["operasanger"],
        skills=["klassisk sang", "kalligrafi"],
        level="A1",
        classes=[("mon", "08:30", "11:45")],
    ),
    "electrician": _citizen(
        jobs=["elektriker"],
        skills=["el-installation", "fejlfinding"],
        level="A2",
        classes=[("mon", "17:00", "20:00")],
    ),
    "hotel_cleaner": _citizen(
        jobs=["stuepige"],
        skills=["sengeredning", "hotelrengøring"],
        level="A2",
        classes=[("tue", "17:00", "20:00")],
    ),
    "kitchen_helper_without_hygiene_certificate": _citizen(
        jobs=["køkkenmedhjælper"],
        skills=["opvask", "madlavning"],
        level="A2",
        classes=[("fri", "08:30", "11:45")],
    ),
    "warehouse_worker_without_a_forklift_certificate": _citizen(
        jobs=["lagermedarbejder"],
        skills=["pakning af varer", "ordreplukning"],
        level="A2",
        classes=[("wed", "17:00", "20:00")],
        hours=30,
    ),
}
