"""Load the packaged ESCO artifact, and cache the fitted linker on disk so it is built once.

The cache directory is `$BROBYGGER_CACHE_DIR`, else `~/.cache/brobygger`; a cache entry is named by
the artifact's hash and the cache format, so a new artifact or code never reads a stale one.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matcher.domain.esco import EscoIndex
from services.matcher.domain.linking import LabelTable, Linker, LinkerState, build_linker_state
from services.matcher.domain.ranking import Ranker

ARTIFACT = "esco_compact.json.gz"
_CACHE_FORMAT = 4


def artifact_bytes() -> bytes:
    return resources.files("services.matcher.data").joinpath(ARTIFACT).read_bytes()


def load_index(raw: bytes | None = None) -> EscoIndex:
    """The ESCO index from the packaged artifact (about 0.3 s)."""
    data = json.loads(gzip.decompress(raw if raw is not None else artifact_bytes()))
    return EscoIndex.from_artifact(data)


def default_cache_dir() -> Path:
    env = os.environ.get("BROBYGGER_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "brobygger"


def load_linker(cache_dir: Path | None = None) -> Linker:
    """The linker over the packaged artifact: from the disk cache, or built (~5 s) and cached."""
    raw = artifact_bytes()
    index = load_index(raw)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    path = (cache_dir or default_cache_dir()) / f"linker-{digest}-v{_CACHE_FORMAT}.npz"
    state = _read(path)
    if state is None:
        state = build_linker_state(index)
        _write(path, state)
    return Linker(index, state)


def load_ranker(cache_dir: Path | None = None) -> Ranker:
    """The default ranker: build once at start-up and reuse for every event."""
    return Ranker(load_linker(cache_dir))


def _read(path: Path) -> LinkerState | None:
    try:
        with np.load(path) as z:
            return LinkerState(idf=z["idf"], occupations=_table(z, "occ"), skills=_table(z, "skill"))
    except (OSError, KeyError, ValueError):
        return None  # absent or unreadable: rebuild


def _table(z: np.lib.npyio.NpzFile, name: str) -> LabelTable:
    matrix = sp.csr_matrix(
        (z[f"{name}_data"], z[f"{name}_indices"], z[f"{name}_indptr"]),
        shape=tuple(z[f"{name}_shape"]),
    )
    return LabelTable(matrix_t=matrix, concept=z[f"{name}_concept"], weight=z[f"{name}_weight"])


def _write(path: Path, state: LinkerState) -> None:
    arrays: dict[str, npt.NDArray[np.generic]] = {"idf": state.idf}
    for name, t in (("occ", state.occupations), ("skill", state.skills)):
        arrays |= {
            f"{name}_data": t.matrix_t.data,
            f"{name}_indices": t.matrix_t.indices,
            f"{name}_indptr": t.matrix_t.indptr,
            f"{name}_shape": np.array(t.matrix_t.shape),
            f"{name}_concept": t.concept,
            f"{name}_weight": t.weight,
        }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a concurrent reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as fh:
            np.savez(fh, allow_pickle=False, **arrays)
        os.replace(fh.name, path)
    except OSError:
        pass  # a read-only home still works, it just rebuilds next time
