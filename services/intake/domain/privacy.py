"""Data minimisation rules intake applies before anything is published."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import BaseModel

# DDMMYY-SSSS or DDMMYYSSSS, with a plausible day and month; CPR numbers must never be entered.
_CPR = re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}[- ]?\d{4}(?!\d)")


class PersonalNumberFound(ValueError):
    """Free text holds something shaped like a Danish CPR number."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(
            f"field `{field}`: looks like a Danish CPR number; CPR numbers must not be entered here "
            "(the citizen's pseudonymous id is the only key Brobygger uses)"
        )


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}.{i}")


def reject_personal_numbers(model: BaseModel) -> None:
    """Raise `PersonalNumberFound` naming the first text field that holds a CPR-shaped number."""
    for path, text in _strings(model, ""):
        if _CPR.search(text):
            raise PersonalNumberFound(path)
