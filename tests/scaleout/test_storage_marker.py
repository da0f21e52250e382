"""The library's storage marker: a server records it, a worker must see the same one, and
a server whose library lacks the recorded marker refuses to take over - unless nothing is
lost by it (no download recorded yet) or an admin says so."""

from __future__ import annotations

import pytest

from mediadl.core.clock import utcnow
from mediadl.core.settings import Settings
from mediadl.db.models import Download, User
from mediadl.db.session import Database
from mediadl.jobs.shared_storage import (
    StorageMismatch,
    claim_storage,
    marker_path,
    read_marker,
    verify_storage,
)


def _claim(database: Database, settings: Settings) -> str:
    with database.session() as session:
        return claim_storage(session, settings)


def _verify(database: Database, settings: Settings) -> None:
    with database.session() as session:
        verify_storage(session, settings)


def _record_a_download(database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("keeper")
    with database.session() as session:
        assert session.get(User, owner) is not None
        session.add(Download(owner_id=owner, item_key="kept", url="https://example.org/k",
                             filename="kept.bin", size=1, sha256="0" * 64,
                             created_at=utcnow()))


def _other_library(settings: Settings, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    moved = settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
    moved.library_dir.mkdir(parents=True)
    return moved


def test_first_start_marks_the_library_and_later_starts_keep_it(database, settings):
    first = _claim(database, settings)
    assert read_marker(settings) == first
    assert _claim(database, settings) == first
    _verify(database, settings)


def test_a_server_with_another_library_refuses_once_downloads_exist(database, settings,
                                                                    make_user, tmp_path):
    recorded = _claim(database, settings)
    _record_a_download(database, make_user)
    wrong_mount = _other_library(settings, tmp_path)
    with pytest.raises(StorageMismatch, match=r"marker \.mediadl-storage-id"):
        _claim(database, wrong_mount)
    assert not marker_path(wrong_mount).exists()
    marker_path(wrong_mount).write_text("someone else's library")
    with pytest.raises(StorageMismatch):
        _claim(database, wrong_mount)
    assert _claim(database, settings) == recorded  # the right library still starts


def test_a_new_installation_may_take_a_new_library(database, settings, tmp_path):
    _claim(database, settings)
    moved = _other_library(settings, tmp_path)
    adopted = _claim(database, moved)
    assert read_marker(moved) == adopted
    _verify(database, moved)


def test_an_admin_may_adopt_a_moved_library(database, settings, make_user, tmp_path):
    _claim(database, settings)
    _record_a_download(database, make_user)
    moved = _other_library(settings, tmp_path)
    moved.adopt_library = True
    adopted = _claim(database, moved)
    with pytest.raises(StorageMismatch):
        _verify(database, settings)  # a worker on the old library is refused now
    _verify(database, moved)
    assert read_marker(moved) == adopted


def test_a_worker_needs_the_servers_marker(database, settings, tmp_path):
    with pytest.raises(StorageMismatch, match="serve"):
        _verify(database, settings)  # no server has started yet
    _claim(database, settings)
    with pytest.raises(StorageMismatch, match="marker"):
        _verify(database, _other_library(settings, tmp_path))
