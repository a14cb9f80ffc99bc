"""Load the packaged ESCO artifact, and cache the fitted linker on disk so it is built once.

The cache directory is `$BROBYGGER_CACHE_DIR`, else `~/.cache/brobygger`; a cache entry is named by
the artifact's hash, the Danish word table, the cache format, the linker's version and the source
of the code that builds what is cached (the linking, text and ESCO modules), so a new artifact, word
table or changed code never reads a stale one (worktrees may share one cache directory).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import inspect
import json
import os
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matcher.domain import esco, linking, text
from services.matcher.domain.esco import EscoIndex
from services.matcher.domain.linking import (
    LINKER_VERSION,
    LabelTable,
    Linker,
    LinkerState,
    build_linker_state,
)
from services.matcher.domain.ranking import Ranker
from services.matcher.domain.text import normalise
from shared.contracts import GeoPoint

ARTIFACT = "esco_compact.json.gz"
WORDS = "da_words.json.gz"
POSTCODES = "postcodes_dk.csv"
TITLES = "titles_da.json"
LINES = "lines_of_work_da.json"
_CACHE_FORMAT = 7


def artifact_bytes() -> bytes:
    return resources.files("services.matcher.data").joinpath(ARTIFACT).read_bytes()


def words_bytes() -> bytes:
    return resources.files("services.matcher.data").joinpath(WORDS).read_bytes()


def load_words(raw: bytes | None = None) -> dict[str, float]:
    """Danish words and their Zipf frequency (scripts/derive_da_words.py), for compounds."""
    data = json.loads(gzip.decompress(raw if raw is not None else words_bytes()))
    words = data.get("words") if isinstance(data, dict) else None
    if not isinstance(words, dict):
        raise ValueError(f"{WORDS}: `words` must be an object of word -> Zipf frequency")
    return {str(w): float(z) for w, z in words.items()}


def load_index(raw: bytes | None = None) -> EscoIndex:
    """The ESCO index from the packaged artifact (about 0.3 s)."""
    data = json.loads(gzip.decompress(raw if raw is not None else artifact_bytes()))
    return EscoIndex.from_artifact(data)


def default_cache_dir() -> Path:
    env = os.environ.get("BROBYGGER_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "brobygger"


def load_linker(cache_dir: Path | None = None) -> Linker:
    """The linker over the packaged artifact: from the disk cache, or built (~5 s) and cached."""
    raw, words = artifact_bytes(), words_bytes()
    index = load_index(raw)
    digest = cache_key(raw, words)
    path = (cache_dir or default_cache_dir()) / f"linker-{digest}-v{_CACHE_FORMAT}.npz"
    state = _read(path)
    if state is None:
        state = build_linker_state(index, load_words(words))
        _write(path, state)
    return Linker(index, state)


def cache_key(raw: bytes, words: bytes = b"") -> str:
    """The artifact's and word table's bytes, the linker's version and the source of every module
    whose code shapes the cached state."""
    h = hashlib.sha256(raw + b"\0" + words + b"\0" + str(LINKER_VERSION).encode())
    for module in (esco, linking, text):
        h.update(inspect.getsource(module).encode())
    return h.hexdigest()[:16]


def load_postcodes() -> dict[str, GeoPoint]:
    """Postcode -> its point (scripts/derive_postcodes.py), for homes known only by postcode."""
    lines = resources.files("services.matcher.data").joinpath(POSTCODES).read_text("utf-8").splitlines()
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    return {r["postcode"]: GeoPoint(lat=float(r["lat"]), lon=float(r["lon"])) for r in rows}


def load_titles(index: EscoIndex) -> dict[str, int]:
    """The reviewed Danish job titles (normalised) -> occupation position; an unknown label is an error."""
    data = json.loads(resources.files("services.matcher.data").joinpath(TITLES).read_text("utf-8"))
    by_label = {o.label_en: i for i, o in enumerate(index.occupations)}
    out: dict[str, int] = {}
    for title, (label, _why) in data["titles"].items():
        if label not in by_label:
            raise ValueError(f"{TITLES}: title {title!r}: {label!r} is not an ESCO occupation's preferred label")
        out[normalise(title)] = by_label[label]
    return out


def load_lines(index: EscoIndex, text: str | None = None) -> dict[int, tuple[int, ...]]:
    """The reviewed lines of work (`text`, default the packaged file): occupation position -> the other
    occupations of its line (an occupation in two lines has both's); an unknown label is an error."""
    if text is None:
        text = resources.files("services.matcher.data").joinpath(LINES).read_text("utf-8")
    data = json.loads(text)
    by_label = {o.label_en: i for i, o in enumerate(index.occupations)}
    out: dict[int, dict[int, None]] = {}  # ordered sets
    for line in data["lines"]:
        for label in line["occupations"]:
            if label not in by_label:
                name = line["name_da"]
                raise ValueError(f"{LINES}: line {name!r}: {label!r} is not an ESCO occupation's preferred label")
        members = [by_label[label] for label in line["occupations"]]
        for occ in members:
            out.setdefault(occ, {}).update(dict.fromkeys(m for m in members if m != occ))
    return {occ: tuple(others) for occ, others in out.items()}


def load_ranker(cache_dir: Path | None = None) -> Ranker:
    """The default ranker: build once at start-up and reuse for every event."""
    linker = load_linker(cache_dir)
    return Ranker(linker, load_postcodes(), load_titles(linker.index), load_lines(linker.index))


def _read(path: Path) -> LinkerState | None:
    try:
        with np.load(path) as z:
            return LinkerState(
                idf=z["idf"],
                occupations=_table(z, "occ"),
                skills=_table(z, "skill"),
                words=dict(zip(z["words"].tolist(), z["zipf"].tolist(), strict=True)),
            )
    except (OSError, KeyError, ValueError):
        return None  # absent or unreadable: rebuild


def _table(z: np.lib.npyio.NpzFile, name: str) -> LabelTable:
    matrix = sp.csr_matrix(
        (z[f"{name}_data"], z[f"{name}_indices"], z[f"{name}_indptr"]),
        shape=tuple(z[f"{name}_shape"]),
    )
    return LabelTable(
        matrix_t=matrix,
        concept=z[f"{name}_concept"],
        weight=z[f"{name}_weight"],
        label_ptr=z[f"{name}_label_ptr"],
        labels=z[f"{name}_labels"],
    )


def _write(path: Path, state: LinkerState) -> None:
    arrays: dict[str, npt.NDArray[np.generic]] = {
        "idf": state.idf,
        "words": np.array(list(state.words), dtype=np.str_),
        "zipf": np.array(list(state.words.values()), dtype=np.float64),
    }
    for name, t in (("occ", state.occupations), ("skill", state.skills)):
        arrays |= {
            f"{name}_data": t.matrix_t.data,
            f"{name}_indices": t.matrix_t.indices,
            f"{name}_indptr": t.matrix_t.indptr,
            f"{name}_shape": np.array(t.matrix_t.shape),
            f"{name}_concept": t.concept,
            f"{name}_weight": t.weight,
            f"{name}_label_ptr": t.label_ptr,
            f"{name}_labels": t.labels,
        }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a concurrent reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as fh:
            np.savez(fh, allow_pickle=False, **arrays)
        os.replace(fh.name, path)
    except OSError:
        pass  # a read-only home still works, it just rebuilds next time
