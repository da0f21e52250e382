"""The serving process freezes its startup heap once, however many apps it starts."""

from __future__ import annotations

import pytest

from mediadl.realtime import runtime


def test_the_startup_heap_is_frozen_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(runtime, "_frozen", False)
    monkeypatch.setattr(runtime.gc, "collect", lambda: calls.append("collect") or 0)
    monkeypatch.setattr(runtime.gc, "freeze", lambda: calls.append("freeze"))

    runtime.freeze_startup_heap()
    runtime.freeze_startup_heap()

    # Garbage first, so that none of it is frozen for good; and only the first time.
    assert calls == ["collect", "freeze"]
