"""A course's title is read as a trade only where what the course teaches belongs to that trade.

A course title names a subject, not a job. Read as a job title, the demo's "Køkkenets grundlæggende
arbejde" was a kitchen unit installer, "FVU-matematik" a mathematician and "Lager og logistik –
introduktion" a logistics analyst: a plumber was offered the kitchen course as building on his work.
"""

from __future__ import annotations

from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.ranking import Ranker
from shared.contracts import Opportunity
from tests.unit.matcher.conftest import forklift_course
from tests.unit.matcher.test_trust import rank
from tests.unit.matcher.trust_citizens import _citizen


def _trades(ranker: Ranker, course: Opportunity) -> list[str]:
    occupations = ranker.linker.index.occupations
    return [occupations[o].label_en for o in dict.fromkeys(ranker.space.opportunity(course).occupations)]


def _demo_course(demo: Catalogue, title: str) -> Opportunity:
    [course] = [o for _, o in demo.items() if o.title == title]
    return course


def test_a_course_title_is_not_read_as_a_trade_its_teaching_does_not_belong_to(ranker: Ranker, demo: Catalogue) -> None:
    for title, wrong in (
        ("Køkkenets grundlæggende arbejde", "kitchen unit installer"),
        ("FVU-matematik", "mathematician"),
        ("Lager og logistik – introduktion", "logistics analyst"),
        ("Arbejdsmarkedsdansk – dansk på jobbet", "labour market policy officer"),
        ("Social- og sundhedshjælper – start på uddannelsen", "community development social worker"),
    ):
        course = _demo_course(demo, title)
        # The title alone still reads so; the course's teaching is what rules it out.
        [alone] = ranker.linker.link([("occupation", title)])
        assert wrong in [ranker.linker.index.occupations[lk.index].label_en for lk in alone.readings]
        assert wrong not in _trades(ranker, course), title


def test_a_course_title_that_names_the_trade_it_teaches_keeps_its_reading(ranker: Ranker, demo: Catalogue) -> None:
    for title, trade in (
        ("Truckcertifikat (gaffeltruck)", "forklift operator"),
        ("Erhvervsrengøring – grundlæggende metoder", "building cleaner"),
        ("Introduktion til ældreplejen", "residential home older adult care worker"),
        ("Social- og sundhedshjælper – start på uddannelsen", "home care aide"),
        ("Svejsning – grundlæggende MAG-svejsning", "welder"),
    ):
        assert trade in _trades(ranker, _demo_course(demo, title)), title


def test_a_course_that_names_nothing_it_teaches_keeps_its_title_reading(ranker: Ranker) -> None:
    """There is nothing to weigh the reading by, so the title is read as before."""
    assert "forklift operator" in _trades(ranker, forklift_course(title="Truckcertifikat"))


def test_a_plumber_is_not_offered_a_kitchen_course_as_building_on_his_work(ranker: Ranker, demo: Catalogue) -> None:
    plumber = rank(ranker, demo, _citizen(jobs=["blikkenslager"], skills=["rørlægning"], level="B1", classes=[]))
    titles = [p.opportunity.title for p in plumber.proposals]
    assert "Køkkenets grundlæggende arbejde" not in titles, titles
    # A kitchen helper still gets it, for what she can do.
    helper = rank(ranker, demo, _citizen(jobs=["køkkenmedhjælper"], skills=["opvask"], level="B1", classes=[]))
    course = [p for p in helper.proposals if p.opportunity.title == "Køkkenets grundlæggende arbejde"]
    assert course and "det bygger videre på det, du kan: opvask" in course[0].reasons.text_da
