"""User creation rules and the login check, against a real migrated database."""

from __future__ import annotations

import pytest

from mediadl.auth import passwords, service
from mediadl.core.errors import Conflict, InvalidCredentials, InvalidPayload
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.db.session import Database
from tests.security.cheap import cheap_hashing

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return cheap_hashing(settings)


def _create(database: Database, settings: Settings, username: str, password: str = PASSWORD,
            **kwargs: object) -> User:
    with database.session() as session:
        return service.create_user(session, settings, username, password, **kwargs)  # type: ignore[arg-type]


def test_create_user_sets_id_and_defaults(database: Database, settings: Settings) -> None:
    user = _create(database, settings, "Alice.B-2_x")
    assert user.id is not None
    assert user.username == "Alice.B-2_x"  # stored as given
    assert user.role == "user" and user.is_active and user.token_version == 0
    assert user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize("username", ["", "a" * 65, "has space", "ünïcode", "a/b", "a@b"])
def test_bad_usernames_are_refused(database: Database, settings: Settings,
                                   username: str) -> None:
    with pytest.raises(InvalidPayload):
        _create(database, settings, username)


def test_username_of_64_chars_is_fine(database: Database, settings: Settings) -> None:
    assert _create(database, settings, "a" * 64).id


def test_usernames_are_unique_regardless_of_case(database: Database,
                                                 settings: Settings) -> None:
    _create(database, settings, "alice")
    with pytest.raises(Conflict):
        _create(database, settings, "ALICE")


def test_password_length_follows_settings(database: Database, settings: Settings) -> None:
    shortest = settings.auth.min_password_length
    with pytest.raises(InvalidPayload, match=str(shortest)):
        _create(database, settings, "alice", "x" * (shortest - 1))
    # Length is the only rule: no digits, symbols or mixed case demanded.
    assert _create(database, settings, "bob", "x" * shortest).id


def test_bad_role_and_email_are_refused(database: Database, settings: Settings) -> None:
    with pytest.raises(InvalidPayload):
        _create(database, settings, "alice", role="root")
    with pytest.raises(InvalidPayload):
        _create(database, settings, "alice", email="not an email")
    assert _create(database, settings, "alice", role="admin", email="a@example.org").is_admin


def test_authenticate_is_case_insensitive_on_the_name(database: Database,
                                                      settings: Settings) -> None:
    user_id = _create(database, settings, "Alice").id
    with database.read() as session:
        assert service.authenticate(session, settings, "aLiCe", PASSWORD).user_id == user_id


def test_unknown_user_still_spends_a_hash_check(database: Database, settings: Settings,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    burned: list[str] = []
    monkeypatch.setattr(service, "burn_verify_time",
                        lambda _settings, password: burned.append(password))
    with database.read() as session, pytest.raises(InvalidCredentials):
        service.authenticate(session, settings, "nobody", PASSWORD)
    assert burned == [PASSWORD]


def test_inactive_user_fails_like_a_wrong_password(database: Database,
                                                   settings: Settings) -> None:
    user = _create(database, settings, "alice")
    with database.session() as session:
        session.get(User, user.id).is_active = False  # type: ignore[union-attr]
    with database.read() as session, pytest.raises(InvalidCredentials) as inactive:
        service.authenticate(session, settings, "alice", PASSWORD)
    with database.read() as session, pytest.raises(InvalidCredentials) as wrong:
        service.authenticate(session, settings, "alice", "wrong password")
    assert inactive.value.detail == wrong.value.detail


def test_start_session_refuses_when_password_changed_meanwhile(database: Database,
                                                               settings: Settings) -> None:
    user = _create(database, settings, "alice")
    with database.read() as session:
        verified = service.authenticate(session, settings, "alice", PASSWORD)
    with database.session() as session:
        new_hash = passwords.hash_password(settings.auth, "new password!")
        session.get(User, user.id).password_hash = new_hash  # type: ignore[union-attr]
    with database.session() as session, pytest.raises(InvalidCredentials):
        service.start_session(session, settings, verified)
