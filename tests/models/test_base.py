"""The table helpers' one speed-up of pydantic: whether a default factory takes the validated data is asked once."""

from __future__ import annotations

import pytest
from pydantic._internal import _fields

from models.base import remember_default_factory_signatures
from models.tickets import Ticket


def test_the_answer_is_kept_once_and_stays_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    original = _fields.takes_validated_data_argument
    monkeypatch.setattr(_fields, "takes_validated_data_argument", lambda f: asked.append(f) or original(f))
    remember_default_factory_signatures()
    remember_default_factory_signatures()  # a second call keeps the first cache, it does not wrap it again
    answers = [_fields.takes_validated_data_argument(list) for _ in range(3)]
    assert answers == [original(list)] * 3 and asked == [list]
    assert Ticket(category="repair", building_id=1, text="电梯坏了").photos == []  # rows are still built whole
