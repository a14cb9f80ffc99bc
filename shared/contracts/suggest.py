"""ESCO autocomplete as the matcher serves it on its internal port and intake passes it on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SuggestKind = Literal["occupation", "skill"]


class EscoSuggestion(BaseModel):
    uri: str = Field(description="The ESCO concept.", examples=["http://data.europa.eu/esco/occupation/..."])
    kind: SuggestKind
    label: str = Field(description="The label that matched what was typed.", examples=["sygeplejerske"])
    language: str = Field(description="The matched label's language (`da` or `en`).", examples=["da"])
    label_da: str = Field(description="The concept's preferred Danish label (empty where ESCO has none).")
    label_en: str = Field(description="The concept's preferred English label.")
    score: float


class EscoSuggestions(BaseModel):
    q: str
    kind: SuggestKind
    suggestions: list[EscoSuggestion]
