"""Short texts to features: Danish-aware words, then character n-gram TF-IDF.

A caseworker writes "har erfaring med lagerarbejde", a job ad "varetage rengøring af kontorer",
a citizen "rengørring": the analyser drops the job-ad phrasing and stop words, splits compounds
into known words ("lagererfaring" → lager + erfaring, from a word-frequency table), and stems
every word with the Snowball Danish stemmer ("gulve" and "gulvet" → "gulv"); the character
n-grams over what is left keep the strength for misspellings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from itertools import combinations, repeat

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import snowballstemmer
from sklearn.feature_extraction.text import HashingVectorizer

try:  # the hashing loop HashingVectorizer runs, called without its per-call checks
    from sklearn.feature_extraction._hashing_fast import transform as _hash_ngrams
except ImportError:  # pragma: no cover - a scikit-learn that moved it: HashingVectorizer instead
    _hash_ngrams = None

_NON_WORD = re.compile(r"[^\w]+")
#: Filler words in how people describe work ("i worked with sheeps", "jeg har arbejdet med") and
#: the phrasing of Danish job ads and case notes ("du har erfaring med", "varetage", "sørge for",
#: "kendskab til", "evne til at", "lyst til at"): they say how, not what.
_FILLER = frozenset(
    (
        "i", "a", "an", "the", "and", "of", "with", "as", "at", "in", "on", "for", "to", "my", "have",
        "has", "had", "worked", "working", "years", "year", "experience", "jeg", "har", "haft",
        "arbejdet", "arbejde", "arbejdede", "arbejder", "med", "som", "og", "på", "til", "en", "et",
        "af", "år", "års", "erfaring", "erfaringer", "erfaren", "inden", "du", "dig", "din", "dit",
        "dine", "vi", "os", "vores", "er", "være", "været", "skal", "kan", "kunne", "vil", "gerne",
        "samt", "eller", "også", "både", "den", "det", "de", "der", "her", "man", "sig", "sin", "sit",
        "sine", "hos", "ved", "om", "fra", "varetage", "varetager", "varetagelse", "sørge", "sørger",
        "kendskab", "viden", "evne", "evner", "evnen", "lyst", "mulighed", "god", "gode", "godt",
        "stor", "store", "rigtig", "meget", "mere", "særligt", "især", "bla", "fx", "herunder",
        "indenfor", "blandt", "efter", "under", "alle", "andre", "anden", "andet", "nogle", "ting",
        "opgaver", "opgave", "relevant", "relevante", "tidligere", "mindst", "minimum", "fokus",
        "kundskab", "kundskaber", "færdigheder", "kompetence", "kompetencer",
    )
)
N_FEATURES = 2**20
#: Compound parts must be at least this common (Zipf scale: 3 is once per million words).
MIN_PART_ZIPF = 2.5
#: A three-letter head ("bog" in "bogføring") must be commoner still: short heads split wrongly.
MIN_SHORT_HEAD_ZIPF = 3.5
#: Zipf frequency given to a word that occurs in the Danish ESCO labels but not in the table.
LABEL_WORD_ZIPF = 3.0
_MIN_COMPOUND = 7
#: Danish nouns made from verbs, stripped after the Snowball stem so the noun a caseworker writes
#: meets the verb in ESCO's labels: "svejsning"/"svejse", "rengøring"/"rengøre", "kørsel"/"køre".
_NOUN_SUFFIXES = ("ning", "ing", "else", "sel")
_MIN_STEM = 3
#: Words whose Snowball stem drops a double consonant that tells them from another word: their
#: stem is the start they share ("læsse"/"læsser"/"læssede" (load) → "læss", not "læs" as
#: "læse"/"læsning" (read)).
_KEEP_DOUBLE = ("læss",)
#: Endings that are words in the frequency table but never the tail of a compound.
_NOT_A_TAIL = frozenset({"ning", "else", "ende", "ere", "hed", "heden", "lig", "lige", "isk", "iske", "skab"})


#: Respelling a word typed without æ, ø and å (`DanishAnalyser.respell`): from this length, and at
#: most this many of its ae/oe/aa tried (2^n spellings).
_MIN_RESPELL = 4
_MAX_DIGRAPHS = 3
_DIGRAPHS = re.compile(r"ae|oe|aa")
_DIGRAPH_LETTER = {"ae": "æ", "oe": "ø", "aa": "å"}
_ONE_LETTER = {"o": ("ø",), "a": ("æ", "å")}


#: A word this long or longer, unknown as typed, may be a typo of a known word one edit away. Shorter
#: ones are too often a rare word the table lacks: "lugning" (weeding) and "bukning" (bending) read as
#: "lukning" (closing), "brøker" as "brøler".
_MIN_TYPO = 8
_LETTERS = "abcdefghijklmnopqrstuvwxyzæøå"


def _one_edit(word: str) -> Iterator[str]:
    """Every word one edit from `word`: a letter left out, swapped with the next, changed or added."""
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            yield head + tail[1:]
            if len(tail) > 1:
                yield head + tail[1] + tail[0] + tail[2:]
            for c in _LETTERS:
                if c != tail[0]:
                    yield head + c + tail[1:]
        for c in _LETTERS:
            yield head + c + tail


def _one_letter(word: str) -> Iterator[str]:
    """The word with one o as ø, or one a as æ or å."""
    for i, ch in enumerate(word):
        for letter in _ONE_LETTER.get(ch, ()):
            yield word[:i] + letter + word[i + 1 :]


def _fold_accents() -> dict[int, str]:
    """é → e, ü → u (people type "ide" for "idé"), but æ, ø and å are letters of their own."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        if ch in "åÅæÆøØ":
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base and base != ch:
            table[code] = base
    return table


_ACCENTS = _fold_accents()


def normalise(text: str) -> str:
    """Lower case, NFKC, accents folded, punctuation to spaces, filler words out; keeps æ, ø, å."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_ACCENTS)
    words = _NON_WORD.sub(" ", text).replace("_", " ").split()
    kept = [w for w in words if w not in _FILLER]
    return " ".join(kept or words)


def words_of(text: str) -> list[str]:
    """The words of a text as `normalise` sees them, filler included (for building tables)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_ACCENTS)
    return _NON_WORD.sub(" ", text).split()


class DanishAnalyser:
    """Normalised text → stems of its words and of their compound parts, space-separated.

    `words` maps known Danish words to their Zipf frequency; a compound splits where both parts
    are known and common enough, the best-scoring split winning (the rarer part's frequency).
    The whole word is kept beside its parts, so a wrong split only adds a little noise.

    With `keep_as_typed` (a function giving the words never to respell: the linker passes the
    words of ESCO's English labels), an unknown word is respelt first (`respell`): a phone or
    keyboard without æ, ø and å gives "rengoering", "koekkenmedhjaelper", "pleje af aeldre" or
    "rengoring", and a typo in a compound ("trukkørsel") keeps it from splitting; these linked to
    nothing.
    """

    def __init__(
        self, words: Mapping[str, float], keep_as_typed: Callable[[], AbstractSet[str]] | None = None
    ) -> None:
        self._zipf = dict(words)
        self._stemmer = snowballstemmer.stemmer("danish")
        self._keep_as_typed = keep_as_typed
        self._word = lru_cache(maxsize=200_000)(self._analyse_word)
        self._respelt = lru_cache(maxsize=50_000)(self.respell)

    def __call__(self, text: str) -> str:
        return " ".join(self._word(w) for w in self.respelt(text).split())

    def respelt(self, text: str) -> str:
        """`normalise(text)`, each word respelt (`respell`) when the analyser does that; a word that
        respells as filler goes too ("faerdigheder" is "færdigheder")."""
        words = normalise(text).split()
        if self._keep_as_typed is None:
            return " ".join(words)
        meant = [self._respelt(w) for w in words]
        return " ".join([w for w in meant if w not in _FILLER] or meant)

    def split(self, word: str) -> list[str]:
        """Known parts of a compound, or [] when it does not split ("lagererfaring" → 2 parts)."""
        return self._split(word, depth=2)

    def stem(self, word: str) -> str:
        """Snowball's Danish stem, then a verbal-noun ending off ("rengøring" → "rengør")."""
        stem = str(self._stemmer.stemWord(word))
        for start in _KEEP_DOUBLE:  # "læsse" (load) is not "læse" (read)
            if word.startswith(start):
                return start
        for suffix in _NOUN_SUFFIXES:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= _MIN_STEM:
                return stem[: -len(suffix)]
        return stem

    def known(self, word: str) -> bool:
        """A Danish word in the table, common enough to be a compound's part, or a compound of such."""
        return self._zipf.get(word, 0.0) >= MIN_PART_ZIPF or bool(self.split(word))

    def respell(self, word: str) -> str:
        """The word as it was meant, when it is unknown as typed: without æ, ø and å, or with a typo.

        A word that is known as typed, is short, or is a word of ESCO's English labels is kept.
        Typed without æ, ø and å: the two-letter spellings ae, oe, aa as æ, ø, å (each occurrence or
        not), then one o as ø or one a as æ or å on top of those, the first known one winning (the
        commonest of those with as few changes). Else, from `_MIN_TYPO` letters, one letter left out,
        added, changed or two swapped ("trukkørsel", "rengørin"): the commonest word so made that is in
        the word table; none, and the word is kept.
        """
        if (
            self._keep_as_typed is None
            or len(word) < _MIN_RESPELL
            or not word.isalpha()
            or word in self._keep_as_typed()
            or self.known(word)
        ):
            return word
        if word.isascii() and (spelt := self._with_letters(word)) is not None:
            return spelt
        if len(word) >= _MIN_TYPO:
            best = max((self._zipf.get(c, 0.0), c) for c in _one_edit(word))
            if best[0] >= MIN_PART_ZIPF:
                return best[1]
        return word

    def _with_letters(self, word: str) -> str | None:
        """The known word `word` is when typed without æ, ø and å, or None (`respell`)."""
        spots = [m.start() for m in _DIGRAPHS.finditer(word)][:_MAX_DIGRAPHS]
        tried: set[str] = {word}
        for n in range(len(spots) + 1):  # as few two-letter spellings changed as can be
            found: list[tuple[float, str]] = []
            for chosen in combinations(spots, n):
                base = word
                for at in reversed(chosen):
                    base = base[:at] + _DIGRAPH_LETTER[base[at : at + 2]] + base[at + 2 :]
                fresh = [c for c in (base, *_one_letter(base)) if c not in tried]
                tried.update(fresh)
                found += [(-self._zipf.get(c, MIN_PART_ZIPF), c) for c in fresh if self.known(c)]
            if found:
                return min(found)[1]
        return None

    def _analyse_word(self, word: str) -> str:
        """The word's stem and its parts' stems; a part that is filler takes the whole word with
        it ("lagererfaring" → "lager", "flisearbejde" → "flise"), so only what was done is left.
        A filler *head* is a prefix that makes another word ("undervise" is not "vise", "eftersyn"
        not "syn", "forflytning" not "flytning"): such a word stays whole."""
        stem = self.stem(word)
        parts = self.split(word)
        if parts and parts[0] in _FILLER:
            return stem
        kept = [self.stem(p) for p in parts if p not in _FILLER]
        if not kept:
            return stem
        if len(kept) < len(parts):
            return " ".join(kept)
        return " ".join([stem, *kept])

    def _split(self, word: str, depth: int) -> list[str]:
        if len(word) < _MIN_COMPOUND or depth == 0 or not word.isalpha():
            return []
        best: tuple[float, list[str]] | None = None
        for i in range(3, len(word) - 2):
            head, tail = word[:i], word[i:]
            head_zipf = self._head_zipf(head)
            if head_zipf is None:
                continue
            if tail in _NOT_A_TAIL:
                continue
            tail_zipf = self._zipf.get(tail, 0.0)
            if tail_zipf >= MIN_PART_ZIPF:
                score, parts = min(head_zipf, tail_zipf), [head, tail]
            else:
                rest = self._split(tail, depth - 1)
                if not rest:
                    continue
                score = min(head_zipf, *(self._zipf.get(p, MIN_PART_ZIPF) for p in rest)) - 0.5
                parts = [head, *rest]
            if best is None or score > best[0]:
                best = (score, parts)
        return best[1] if best else []

    def _head_zipf(self, head: str) -> float | None:
        """The head's frequency, allowing a linking -s- or -e- ("arbejds-", "kunde-")."""
        floor = MIN_SHORT_HEAD_ZIPF if len(head) <= 3 else MIN_PART_ZIPF
        found = self._zipf.get(head, 0.0)
        if found >= floor:
            return found
        if head[-1] in "se" and len(head) > 4:
            bare = self._zipf.get(head[:-1], 0.0)
            if bare >= MIN_PART_ZIPF:
                return bare
        return None


class TextEncoder:
    """Hashed character n-grams (2–4, within words) weighted by an IDF fitted on ESCO labels.

    Hashing keeps the fitted state to one IDF vector, so the on-disk cache stays small and the
    encoder needs no vocabulary. `analyser` turns a raw text into the words that are n-grammed
    (default: `normalise`).
    """

    def __init__(
        self, idf: npt.NDArray[np.float32], analyser: Callable[[str], str] = normalise
    ) -> None:
        self.idf = idf
        self.analyser = analyser

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        max_df: float = 1.0,
        analyser: Callable[[str], str] = normalise,
    ) -> tuple[TextEncoder, sp.csr_matrix]:
        """Fit the IDF on `texts`; return the encoder and the texts' encoded rows.

        N-grams in more than `max_df` of the texts get weight 0: they say little, and dropping them
        keeps every similarity product sparse (several times faster linking).
        """
        counts = hash_counts([analyser(t) for t in texts])
        counts.data = np.log1p(counts.data)  # sublinear term frequency
        df = np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float64)
        idf = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
        idf[df > max_df * len(texts)] = 0.0
        encoder = cls(idf, analyser)
        return encoder, encoder._weigh(counts)

    def encode(self, texts: Sequence[str]) -> sp.csr_matrix:
        if not texts:
            return sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
        counts = self.counts(texts)
        counts.data = np.log1p(counts.data)
        return self._weigh(counts)

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The n-gram counts of the analysed texts."""
        return hash_counts([self.analyser(t) for t in texts])

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weighted = sp.csr_matrix(counts, dtype=np.float32)
        weighted.data *= self.idf[weighted.indices]  # in place: no broadcast over all 2^20 columns
        weighted.eliminate_zeros()
        # Unit rows, summing the squares in double as `sklearn.preprocessing.normalize` does.
        row = np.repeat(np.arange(weighted.shape[0]), np.diff(weighted.indptr))
        norms = np.sqrt(np.bincount(row, np.square(weighted.data), minlength=weighted.shape[0]))
        weighted.data = (weighted.data / norms[row]).astype(np.float32)
        return weighted


_HASHER = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(2, 4),
    n_features=N_FEATURES,
    alternate_sign=False,
    norm=None,
    dtype=np.float32,
    lowercase=False,
)
_NGRAMS = _HASHER.build_analyzer()


def hash_counts(analysed: Sequence[str]) -> sp.csr_matrix:
    """`HashingVectorizer.transform` of already analysed texts: the same hashes and counts.

    N-grams never cross a word, so a text's hashed n-grams are its words' one after the other; each
    word's are worked out once and remembered (`_word_hashes`), like the analyser's stems: a new
    text is mostly known words. `HashingVectorizer`'s checks and loop would cost more than the
    counting on a citizen's few texts.
    """
    if _hash_ngrams is None:  # pragma: no cover
        return sp.csr_matrix(_HASHER.transform(analysed))
    rows = [b"".join(map(_word_hashes, a.split())) for a in analysed]
    indptr = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum([len(r) // 4 for r in rows], out=indptr[1:])
    indices = np.frombuffer(b"".join(rows), dtype=np.int32).copy()
    values = np.ones(indices.size, dtype=np.float32)
    counts = sp.csr_matrix((values, indices, indptr), shape=(len(analysed), N_FEATURES), dtype=np.float32)
    counts.sum_duplicates()  # also sorts each row, as HashingVectorizer's does
    return counts


@lru_cache(maxsize=50_000)  # ESCO's labels have ~25,000 distinct analysed words
def _word_hashes(word: str) -> bytes:
    """The hashed n-grams of one analysed word, in `_HASHER`'s order, as int32 bytes (~100 bytes)."""
    assert _hash_ngrams is not None
    indices, _, _ = _hash_ngrams([zip(_NGRAMS(word), repeat(1))], N_FEATURES, np.float32, False, seed=0)
    return np.asarray(indices, dtype=np.int32).tobytes()


def _probe() -> None:
    """Fall back to HashingVectorizer if scikit-learn's loop no longer takes these arguments."""
    global _hash_ngrams
    if _hash_ngrams is None:  # pragma: no cover
        return
    sample = ["korsel med truck", "rengor", "a ab abc  abcd"]  # short words, two spaces
    try:
        ok = (hash_counts(sample) != sp.csr_matrix(_HASHER.transform(sample))).nnz == 0
    except (TypeError, ValueError):  # pragma: no cover
        ok = False
    if not ok:  # pragma: no cover
        _hash_ngrams = None


_probe()
