from services.matcher.domain.linking import MAX_READINGS, ConceptKind, Linker, _occupation_labels
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


def test_a_title_made_only_of_common_words_links_when_typed_exactly(ranker: Ranker) -> None:
    # Every n-gram of "operations manager" is in more than 3% of ESCO's labels, so the title
    # encoded to nothing and stayed unlinked, though it is an ESCO preferred label.
    for title, occupation in (
        ("operations manager", "operations manager"),
        ("Store manager", "shop manager"),  # an alternative label
        ("product manager", "product manager"),
    ):
        linked = ranker.linker.occupations([title])[0]
        labels = {ranker.linker.index.occupations[lk.index].label_en for lk in linked.readings}
        assert occupation in labels, title
        assert linked.best is not None and linked.best.confidence >= 0.97
    assert _occupation(ranker, "operations manager maybe") is None  # only the exact label


def test_a_title_several_occupations_share_links_to_all_of_them(ranker: Ranker) -> None:
    linked = ranker.linker.occupations(["Grossist"])[0]
    readings = {ranker.linker.index.occupations[lk.index].label_en for lk in linked.readings}
    assert len(readings) > 10
    assert "wholesale merchant in tobacco products" in readings


def test_a_precise_title_has_one_reading(ranker: Ranker) -> None:
    linked = ranker.linker.occupations(["operatør af broderimaskine"])[0]
    assert [ranker.linker.index.occupations[lk.index].label_en for lk in linked.readings] == [
        "embroidery machine operator"
    ]


def test_the_cache_is_keyed_on_normalised_text_and_bounded(ranker: Ranker) -> None:
    linker = Linker(ranker.linker.index, ranker.linker.state, cache_size=2)
    first = linker.link([("occupation", "Rengøringsassistent"), ("skill", "kørsel med truck")])
    again = linker.link([("occupation", "  rengøringsassistent!"), ("skill", "Kørsel med truck.")])
    assert (linker.hits, linker.misses) == (2, 2)
    assert [lt.links for lt in again] == [lt.links for lt in first]
    assert again[0].text == "  rengøringsassistent!"  # the raw text is kept, not the cache key
    linker.skills(["opvask", "svejsning"])
    assert len(linker) == 2


def test_one_call_links_both_kinds_like_separate_calls(ranker: Ranker) -> None:
    texts: list[tuple[ConceptKind, str]] = [
        ("occupation", "lagerarbejder"),
        ("skill", "rengøring"),
        ("occupation", "kok"),
    ]
    together = Linker(ranker.linker.index, ranker.linker.state).link(texts)
    apart = [ranker.linker.link([t])[0] for t in texts]
    assert [lt.links for lt in together] == [lt.links for lt in apart]


def test_a_batch_of_many_texts_of_both_kinds_links_each_as_if_alone(ranker: Ranker) -> None:
    # Texts of one kind are linked in chunks that share one copy of their postings; the kinds
    # are interleaved, more than a chunk of each, with texts that reach no label or only exactly.
    index = ranker.linker.index
    occupations = [o.label_da or o.label_en for o in index.occupations[:45]]
    skills = [s.label_en for s in index.skills[:45]]
    texts: list[tuple[ConceptKind, str]] = []
    for occupation, skill in zip(occupations, skills, strict=True):
        texts += [("skill", skill), ("occupation", occupation)]
    texts[7:7] = [("occupation", "operations manager"), ("skill", "xyzzy qwerty"), ("occupation", "")]
    linker = Linker(index, ranker.linker.state)
    together = linker.link_uncached(texts)
    apart = [linker.link_uncached([t])[0] for t in texts]
    assert [(lt.links, lt.n_readings) for lt in together] == [(lt.links, lt.n_readings) for lt in apart]
    assert together[7].links and not together[8].links and not together[9].links
    assert sum(1 for lt in together if lt.links) >= 80


def test_labels_that_encode_the_same_share_one_column_and_every_owner_still_links(ranker: Ranker) -> None:
    table = ranker.linker.state.occupations
    n_labels, n_columns = table.concept.size, table.label_ptr.size - 1
    assert table.matrix_t.shape[1] == n_columns < n_labels  # shared rows are stored once
    assert sorted(table.labels.tolist()) == list(range(n_labels))  # every label in one column
    # "Grossist" is a STAR title of many occupations: one column stands for all its labels.
    rows = _occupation_labels(ranker.linker.index)
    labels = {n for n, (text, _, _) in enumerate(rows) if text == "Grossist"}
    column = [
        c for c in range(n_columns) if labels & set(table.labels[table.label_ptr[c] : table.label_ptr[c + 1]].tolist())
    ]
    assert len(labels) > 10 and len(column) == 1
    lo, hi = table.label_ptr[column[0]], table.label_ptr[column[0] + 1]
    owners = list(dict.fromkeys(int(table.concept[n]) for n in table.labels[lo:hi]))
    # Every owner is a reading (up to the cap), all scoring the same, in the column's order.
    linked = ranker.linker.occupations(["Grossist"])[0]
    assert [lk.index for lk in linked.readings] == owners[:MAX_READINGS]
    assert len({lk.confidence for lk in linked.readings}) == 1
