"""Shared fixtures: a fresh data dir, a migrated database, an app and logged-in clients."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mediadl.app_context import AppContext
from mediadl.core.settings import Settings, prepare_data_dir
from mediadl.db.migrate import upgrade
from mediadl.db.session import Database

pytest_plugins = ["tests.fixtures.plugin"]

TEST_PASSWORD = "correct horse battery"
E2E_FOLDER = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running on the main
    thread while its session-wide browser lives, and tests that call asyncio.run() fail
    under it."""
    items.sort(key=lambda item: item.path.is_relative_to(E2E_FOLDER))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    configured = Settings(
        data_dir=tmp_path / "data",
        allow_private_networks=True,
        max_concurrent_downloads=2,
        jobs={"lease_seconds": 5, "heartbeat_seconds": 1, "sweep_interval_seconds": 0.5,
              "backoff_base_seconds": 0.2, "backoff_max_seconds": 1, "poll_interval_seconds": 0.2},
        downloads={"socket_timeout_seconds": 3, "retries": 3},
        # Cheap password hashing: the suite logs in thousands of times.
        auth={"argon2_time_cost": 1, "argon2_memory_kib": 1024},
    )
    return prepare_data_dir(configured)


# `MEDIADL_TEST_DATABASE=postgresql make test-postgres` runs the suite on PostgreSQL.
ON_POSTGRES = os.environ.get("MEDIADL_TEST_DATABASE", "sqlite") == "postgresql"


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """One throwaway PostgreSQL server for the whole session, its database migrated once;
    tests get copies of it (``CREATE DATABASE … TEMPLATE``), never the template itself."""
    from tests.servers import postgres_bin_dir, postgres_server

    if postgres_bin_dir() is None:
        pytest.skip("PostgreSQL binaries are not installed")
    # Not tmp_path: the server account must be able to enter every parent folder.
    with tempfile.TemporaryDirectory(prefix="mediadl-pg-") as root:
        Path(root).chmod(0o755)
        with postgres_server(Path(root) / "pg") as url:
            upgrade(url)
            yield url


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A migrated PostgreSQL database of this test's own, dropped afterwards."""
    with _postgres_copy(postgres_template) as url:
        yield url


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    """A Database on a migrated PostgreSQL database of this test's own."""
    db = Database(postgres_url)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def migrated_template(request: pytest.FixtureRequest,
                      tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrations run once per session; each test gets a copy of the result (a file copy on
    SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL)."""
    if ON_POSTGRES:
        return str(request.getfixturevalue("postgres_template"))
    template = tmp_path_factory.mktemp("template") / "mediadl.db"
    upgrade(f"sqlite:///{template}")
    return str(template)


@pytest.fixture
def database(settings: Settings, migrated_template: str) -> Iterator[Database]:
    if ON_POSTGRES:
        with _postgres_copy(migrated_template) as url:
            settings.database_url = url
            db = Database(url)
            yield db
            db.dispose()
        return
    target = settings.data_dir / "mediadl.db"
    if not target.exists():
        shutil.copyfile(migrated_template, target)
    db = Database(settings.resolved_database_url)
    yield db
    db.dispose()


_copies = itertools.count()


@contextlib.contextmanager
def _postgres_copy(template_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    template = make_url(template_url)
    name = f"test_{os.getpid()}_{next(_copies)}"
    admin = create_engine(template.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
    try:
        yield template.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def context(settings: Settings, database: Database) -> AppContext:
    return AppContext(settings=settings, db=database)


@pytest.fixture
def app(context: AppContext):  # type: ignore[no-untyped-def]
    from mediadl.api.app import create_app

    return create_app(context)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_user(database: Database, settings: Settings) -> Callable[..., int]:
    from mediadl.auth.service import create_user

    def _make(username: str, role: str = "user", password: str = TEST_PASSWORD) -> int:
        with database.session() as session:
            return create_user(session, settings, username, password, role=role).id

    return _make


@pytest.fixture
def login(client: TestClient) -> Callable[..., dict[str, str]]:
    def _login(username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
        answer = client.post("/api/v1/auth/login", json={"username": username,
                                                         "password": password})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return _login


@pytest.fixture
def admin_headers(make_user, login) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_user("admin", role="admin")
    return login("admin")


@pytest.fixture
def user_headers(make_user, login) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_user("alice")
    return login("alice")


@pytest.fixture
def live_client(settings: Settings, database: Database) -> Iterator[TestClient]:
    """The whole app with its dispatcher and job processes, as `mediadl serve` runs it."""
    from mediadl.main import build_app

    with TestClient(build_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def live_login(live_client: TestClient, make_user) -> Callable[..., dict[str, str]]:  # type: ignore[no-untyped-def]
    def _login(username: str = "alice", role: str = "user") -> dict[str, str]:
        make_user(username, role=role)
        answer = live_client.post("/api/v1/auth/login",
                                  json={"username": username, "password": TEST_PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return _login


def wait_for_job(client: TestClient, headers: dict[str, str], job_id: int,
                 statuses: tuple[str, ...] = ("completed", "failed", "canceled"),
                 timeout: float = 60.0) -> dict:  # type: ignore[type-arg]
    """Poll a job until it reaches one of ``statuses`` (a bounded wait, not a speed check)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/v1/queue/{job_id}", headers=headers).json()
        if job.get("status") in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} stuck: {job}")
        time.sleep(0.1)
