"""The on-disk linker cache can never be read by a different artifact or different linking code."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

from services.matcher.adapters import esco_store
from services.matcher.domain import linking


def test_the_cache_key_changes_with_the_artifact() -> None:
    assert esco_store.cache_key(b"artifact one") != esco_store.cache_key(b"artifact two")


def test_the_cache_key_changes_with_the_code_that_builds_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    before = esco_store.cache_key(b"artifact")
    real = inspect.getsource

    def edited(module: ModuleType) -> str:
        source = real(module)
        return source + "\n# edited" if module is linking else source

    monkeypatch.setattr(inspect, "getsource", edited)
    assert esco_store.cache_key(b"artifact") != before


def test_the_postcode_table_holds_holbaek_and_no_point_at_sea() -> None:
    points = esco_store.load_postcodes()
    assert len(points) > 1000
    holbaek = points["4300"]
    assert 55.6 < holbaek.lat < 55.8 and 11.6 < holbaek.lon < 11.8
    assert "6950" not in points  # Ringkøbing's source point lies in the North Sea
