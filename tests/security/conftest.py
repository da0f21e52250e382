"""Security tests: cheap password hashing, and small helpers to act as several people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediadl.core.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.security.cheap import cheap_hashing

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap_hashing(settings)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def login_pair(client: TestClient) -> Callable[..., dict[str, Any]]:
    """Log in and return the whole answer (access and refresh token)."""

    def _login(username: str, password: str = TEST_PASSWORD, **extra: Any) -> dict[str, Any]:
        answer = client.post(LOGIN, json={"username": username, "password": password, **extra})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    return _login
