"""Platforms tests log many people in: passwords are hashed cheaply."""

from __future__ import annotations

import pytest

from mediadl.core.settings import Settings
from tests.security.cheap import cheap_hashing


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap_hashing(settings)
