from services.matcher.domain.ranking import Ranker


def _occupation(ranker: Ranker, text: str) -> str | None:
    best = ranker.linker.occupations([text])[0].best
    return None if best is None else ranker.linker.index.occupations[best.index].label_en


def test_danish_job_titles_link_to_their_esco_occupation(ranker: Ranker) -> None:
    assert _occupation(ranker, "rengøringsassistent") == "building cleaner"
    assert _occupation(ranker, "pædagogmedhjælper") == "child day care worker"
    assert _occupation(ranker, "lagerarbejder") == "warehouse worker"


def test_english_job_titles_link_with_confidence(ranker: Ranker) -> None:
    linked = ranker.linker.occupations(["truck driver (C licence)"])[0]
    assert linked.best is not None and 0.5 <= linked.best.confidence <= 1.0
    assert "driver" in ranker.linker.index.occupations[linked.best.index].label_en


def test_misspelt_titles_and_skills_still_link(ranker: Ranker) -> None:
    assert _occupation(ranker, "rengørring") == "building cleaner"
    skills = ranker.linker.skills(["i worked with sheeps"])[0]
    labels = [ranker.linker.index.skills[lk.index].label_en for lk in skills.links]
    assert any("sheep" in label or "livestock" in label for label in labels)


def test_danish_skill_words_link_through_the_glossary(ranker: Ranker) -> None:
    linked = ranker.linker.skills(["kørsel med truck"])[0]
    assert linked.best is not None
    assert ranker.linker.index.skills[linked.best.index].label_en == "operate forklift"


def test_unknown_text_stays_unlinked_and_keeps_its_raw_text(ranker: Ranker) -> None:
    linked = ranker.linker.occupations(["xyzzy qwerty"])[0]
    assert linked.links == () and linked.text == "xyzzy qwerty"
