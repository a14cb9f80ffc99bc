import re

from services.matcher.domain.ranking import Ranker
from tests.unit.matcher.conftest import association, catalogue, opportunity, profile


def test_every_proposal_has_one_plain_sentence_in_danish_and_english(ranker: Ranker) -> None:
    cat, _ = catalogue(opportunity(), association())
    result = ranker.rank(profile(), cat)
    for item in result.proposals + result.associations:
        for sentence in (item.reasons.text_da, item.reasons.text_en):
            assert sentence.endswith(".")
            assert sentence.count(". ") == 0  # one sentence
            assert not re.search(r"None|\{|\}|_", sentence)
    job = result.proposals[0].reasons
    assert "almindeligt job" in job.text_da and "ordinary job" in job.text_en
    assert "rengøring" in job.text_da


def test_reasons_carry_the_data_behind_the_sentence(ranker: Ranker) -> None:
    cat, _ = catalogue(opportunity())
    reasons = ranker.rank(profile(), cat).proposals[0].reasons
    assert reasons.matched_skills and reasons.matched_skill_uris
    assert reasons.commute_km is not None and reasons.commute_minutes is not None
    assert f"{reasons.commute_minutes:.0f} minutter" in reasons.text_da
    assert reasons.danish_level == "A2" and reasons.required_danish_level == "A1"
    assert reasons.hours_fit and reasons.rule == "ordinary_employment_first"


def test_a_previous_job_is_named_as_work_done_before_never_as_a_skill(ranker: Ranker) -> None:
    cat, _ = catalogue(opportunity())
    worked = ranker.rank(profile(previous_jobs=[{"title": "rengøringsassistent", "years": 3}]), cat)
    why = worked.proposals[0].reasons
    assert "det ligner dit tidligere arbejde som rengøringsassistent" in why.text_da
    assert "it is like your earlier work as rengøringsassistent" in why.text_en
    can_do = why.text_da.split("du kan: ", 1)[1] if "du kan: " in why.text_da else ""
    assert "rengøringsassistent" not in can_do, why.text_da
    assert [s.words for s in why.skills if s.provenance == "stated"], "her stated skills are still named"
    # The data says the same as the sentence: the caseworker's page and a company's list show both.
    assert why.matched_previous_jobs == ["rengøringsassistent"]
    assert why.matched_skills and "rengøringsassistent" not in why.matched_skills
    skills_only = ranker.rank(profile(previous_jobs=[]), cat).proposals[0].reasons
    assert "tidligere arbejde" not in skills_only.text_da and "du kan: " in skills_only.text_da
    assert skills_only.matched_previous_jobs == [] and skills_only.matched_skills == why.matched_skills


def test_more_hours_than_she_can_work_are_said_with_a_danish_decimal_comma(ranker: Ranker) -> None:
    week = [{"day": d, "start": "12:00", "end": "19:30"} for d in ("mon", "tue", "wed", "thu", "fri")]
    cat, _ = catalogue(opportunity(schedule={"hours_per_week": 37.5, "slots": week}))  # after her Danish class
    why = ranker.rank(profile(availability={"hours_per_week": 35}), cat).proposals[0].reasons
    assert "det er 37,5 timer om ugen, og du kan arbejde 35" in why.text_da, why.text_da
    assert "it is 37.5 hours a week and you can work 35" in why.text_en, why.text_en


def test_a_course_lists_nothing_as_missing_it_teaches_and_does_not_ask(ranker: Ranker) -> None:
    """The B-licence course, read as a delivery driver's job, listed "analyse travel alternatives" and
    four more as missing for a lorry driver without a licence."""
    from shared.contracts import CitizenProfile, OpportunityKind
    from tests.unit.matcher.conftest import demo_catalogue
    from tests.unit.matcher.trust_citizens import _citizen

    payload = _citizen(jobs=["lastbilchauffør"], skills=["kørsel med lastbil"], level="A2", classes=[], home=None)
    result = ranker.rank(CitizenProfile.model_validate(payload), demo_catalogue())
    courses = [p for p in result.proposals if p.opportunity.kind is OpportunityKind.EDUCATION_STEP]
    assert courses, [p.opportunity.title for p in result.proposals]
    for p in courses:
        assert not p.reasons.missing_skills, (p.opportunity.title, p.reasons.missing_skills)
        assert all(s.provenance != "missing" for s in p.reasons.skills), p.opportunity.title


def test_a_near_miss_names_every_paper_she_lacks_not_only_the_first_rule(ranker: Ranker) -> None:
    """A lorry job needs the driver's certificate and a lorry licence: naming only the course for the
    certificate read as if that course would open it."""
    from services.matcher.domain.proposing import near_misses
    from shared.contracts import CitizenProfile
    from tests.unit.matcher.conftest import demo_catalogue
    from tests.unit.matcher.trust_citizens import _citizen

    payload = _citizen(jobs=["lastbilchauffør"], skills=["kørsel med lastbil"], level="A2", classes=[], home=None)
    misses = near_misses(ranker.rank(CitizenProfile.model_validate(payload), demo_catalogue()))
    lorry = [n for n in misses if n.title == "Lastbilchauffør"]
    assert lorry, [n.text_da for n in misses]
    for n in lorry:
        assert "kørekort til kategori C" in n.text_da and "category C driving licence" in n.text_en, n.text_da


def test_a_course_for_the_certificate_alone_is_named_with_the_licence_still_needed(ranker: Ranker) -> None:
    from services.matcher.domain.proposing import near_misses
    from tests.unit.matcher.conftest import forklift_course

    job = opportunity(
        title="Lagerarbejder med truck", required_certificates=["forklift"], required_driving_licence="C"
    )
    cat, _ = catalogue(job, forklift_course())
    misses = near_misses(ranker.rank(profile(), cat))
    [miss] = [n for n in misses if n.title == "Lagerarbejder med truck"]
    assert "Truckcertifikat (AMU) i Holbæk giver truckcertifikat, og du skal også have kørekort til kategori C" in (
        miss.text_da
    ), miss.text_da
    assert "and you also need a category C driving licence" in miss.text_en, miss.text_en


def test_a_certificate_she_holds_counts_as_the_skill_it_shows_never_as_missing(ranker: Ranker) -> None:
    """A warehouse worker with a forklift certificate was told a forklift job needs "operate
    forklift", and the job came last of ten."""
    forklift_job = opportunity(
        title="Gaffeltruckfører", occupation_text="gaffeltruckfører", skills=[], description="Lager i Holbæk."
    )
    cat, _ = catalogue(forklift_job)
    base = {"previous_jobs": [{"title": "lagermedarbejder", "years": 3}], "skills": [{"text": "plukke ordrer"}]}
    without = ranker.rank(profile(**base), cat).proposals
    held = ranker.rank(profile(**base, certificates=["forklift"]), cat).proposals[0]
    why = held.reasons
    assert "operate forklift" not in why.missing_skills
    assert not without or "operate forklift" in without[0].reasons.missing_skills
    assert not without or held.score > without[0].score
    assert "du har truckcertifikat" in why.text_da and "you have a forklift certificate" in why.text_en
    assert "truckcertifikat" not in why.matched_skills  # a certificate is said as one, not as a skill
    assert any(s.provenance == "stated" and s.words == "truckcertifikat" for s in why.skills)


def test_a_full_time_week_with_paid_lunch_is_not_more_than_a_full_time_citizen_can_work(ranker: Ranker) -> None:
    """Every 37.5-hour job said "det er 37,5 timer om ugen, og du kan arbejde 37" and was ranked down."""
    week = [{"day": d, "start": "12:00", "end": "19:30"} for d in ("mon", "tue", "wed", "thu", "fri")]
    citizen = profile(availability={"hours_per_week": 37})
    for hours, flagged in ((37.5, False), (38, True)):
        cat, _ = catalogue(opportunity(schedule={"hours_per_week": hours, "slots": week}))
        why = ranker.rank(citizen, cat).proposals[0].reasons
        assert ("hours_exceed" in why.flags) is flagged, (hours, why.flags)
        assert why.hours_fit is not flagged
        assert ("du kan arbejde 37" in why.text_da) is flagged, why.text_da


def test_every_certificate_names_skills_that_are_in_the_packaged_esco(ranker: Ranker) -> None:
    """A label ESCO renamed would make its certificate count for nothing, silently."""
    from services.matcher.domain.features import CERTIFICATE_SKILLS

    for cert, labels in CERTIFICATE_SKILLS.items():
        assert len(ranker.space.certificate_skills[cert]) == len(labels), cert


def test_a_course_names_only_the_papers_the_job_it_is_proposed_for_lacks(ranker: Ranker) -> None:
    """A course gives a forklift and a first-aid certificate; of two warehouse jobs one asks for the
    forklift one, the other for the first-aid one. 'Here you can get a forklift certificate and a first
    aid certificate, which you need for the job …' claimed both for one job."""
    from tests.unit.matcher.conftest import forklift_course

    forklift = opportunity(title="Lagerarbejder med truck", required_certificates=["forklift"])
    first_aid = opportunity(title="Lagerarbejder med førstehjælp", required_certificates=["first_aid"])
    course = forklift_course(
        education={"education_type": "AMU", "grants_certificates": ["forklift", "first_aid"]},
    )
    cat, ids = catalogue(forklift, first_aid, course)
    result = ranker.rank(profile(), cat)
    [step] = [p for p in result.proposals if p.opportunity_id == ids[2]]
    assert set(step.reasons.closes_gap_for) == {ids[0], ids[1]}
    said = re.search(r"her kan du få (.+), som du mangler til jobbet (Lagerarbejder med \w+)", step.reasons.text_da)
    assert said, step.reasons.text_da
    named = {"truckcertifikat": "forklift", "førstehjælpsbevis": "first_aid"}
    asks = {"Lagerarbejder med truck": "forklift", "Lagerarbejder med førstehjælp": "first_aid"}
    assert [named[w] for w in said.group(1).split(" og ")] == [asks[said.group(2)]], step.reasons.text_da
    assert "kræver også" not in step.reasons.text_da
