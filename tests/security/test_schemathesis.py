"""Schemathesis against the app's own OpenAPI schema, as admin, as a user and anonymous:
no 5xx, and every answer (status, content type, headers, body) as the schema says.

Runs in-process (ASGI). Operations that would reach the network or start probe processes
(parse, platform tests, running a schedule now) are left out: this suite never leaves the
machine. The number of cases run is printed (``-s``) and recorded as a test property.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, Verbosity, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.python import asgi
from sqlalchemy import delete, select

from mediadl.auth.passwords import hash_password
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.models.security import TotpCredential
from mediadl.db.session import Database
from tests.conftest import TEST_PASSWORD

NETWORK_OPERATIONS = re.compile(r"/parse$|/test$|/run$")
# Operations after which the fuzzing account may be logged out, changed or gone.
DISRUPTIVE = re.compile(r"/logout$|/password$|/sessions|/users|/totp")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 5}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.auth = settings.auth.model_copy(update={"argon2_time_cost": 1,
                                                     "argon2_memory_kib": 1024})
    # Thousands of generated logins from one address must not lock the test's own logins.
    settings.security.login_free_failures_per_account = 10**6
    settings.security.login_free_failures_per_address = 10**6
    return settings


@dataclass
class Account:
    """Keeps a role logged in: generated cases may log it out, change its password, demote
    or disable it; before each case the account is put back and logged in again."""

    client: TestClient
    database: Database
    settings: Settings
    username: str
    role: str
    token: str = ""
    suspect: bool = True

    def headers(self) -> dict[str, str]:
        if self.token and (not self.suspect or self._valid()):
            self.suspect = False
            return {"Authorization": f"Bearer {self.token}"}
        self._restore()
        answer = self.client.post("/api/v1/auth/login",
                                  json={"username": self.username, "password": TEST_PASSWORD})
        assert answer.status_code == 200, answer.text
        self.token, self.suspect = answer.json()["access_token"], False
        return {"Authorization": f"Bearer {self.token}"}

    def after(self, path: str) -> None:
        self.suspect = self.suspect or bool(DISRUPTIVE.search(path))

    def _valid(self) -> bool:
        answer = self.client.get("/api/v1/auth/me",
                                 headers={"Authorization": f"Bearer {self.token}"})
        return answer.status_code == 200 and answer.json()["role"] == self.role

    def _restore(self) -> None:
        password_hash = hash_password(self.settings.auth, TEST_PASSWORD)
        with self.database.session() as session:
            user = session.scalars(select(User).where(User.username == self.username)).first()
            if user is None:
                user = User(username=self.username, password_hash=password_hash)
                session.add(user)
            user.password_hash, user.role, user.is_active = password_hash, self.role, True
            session.flush()
            session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))


@dataclass
class Outcome:
    cases: int = 0
    failures: dict[str, str] = field(default_factory=dict)


def fuzz(app: FastAPI, account: Account | None) -> Outcome:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    outcome = Outcome()
    # One in-process client for the whole run instead of one per case.
    with asgi.get_client(app) as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            if NETWORK_OPERATIONS.search(operation.path):
                continue
            for mode, examples in EXAMPLES.items():
                _fuzz_operation(operation, mode, examples, account, session, outcome)
    return outcome


def _fuzz_operation(operation: Any, mode: GenerationMode, examples: int,
                    account: Account | None, session: asgi.ASGIClient,
                    outcome: Outcome) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(max_examples=examples, deadline=None, database=None,
                         phases=[Phase.explicit, Phase.generate], verbosity=Verbosity.quiet,
                         suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        outcome.cases += 1
        headers = account.headers() if account is not None else {}
        try:
            case.call_and_validate(headers=headers, checks=CHECKS, session=session)
        finally:
            if account is not None:
                account.after(operation.path)

    label = f"{operation.method.upper()} {operation.path} ({mode.value})"
    try:
        run()
    except Unsatisfiable:
        pass  # nothing invalid can be written for an operation without inputs
    except Exception as error:  # every failure is collected, then all are shown at once
        outcome.failures[label] = str(error)[:2000]


def _report(role: str, outcome: Outcome, record_property: Callable[[str, Any], None]) -> None:
    record_property(f"schemathesis_cases_{role}", outcome.cases)
    print(f"\nschemathesis ({role}): {outcome.cases} cases")
    assert outcome.failures == {}, "\n".join(outcome.failures) + "\n\n" + "\n\n".join(
        f"{label}\n{text}" for label, text in outcome.failures.items())


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "user"])
def test_schemathesis_logged_in(app: FastAPI, client: TestClient, database: Database,
                                settings: Settings, role: str,
                                record_property: Callable[[str, Any], None]) -> None:
    account = Account(client, database, settings, f"fuzz-{role}", role)
    outcome = fuzz(app, account)
    assert outcome.cases > 500
    _report(role, outcome, record_property)


@pytest.mark.slow
def test_schemathesis_anonymous(app: FastAPI,
                                record_property: Callable[[str, Any], None]) -> None:
    outcome = fuzz(app, None)
    assert outcome.cases > 500
    _report("anonymous", outcome, record_property)
