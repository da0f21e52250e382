"""Scheduler fixtures: a clock the test moves by hand, a scheduler that runs its runs in the
test's thread (listing still happens in a process of its own), and schedule factories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from mediadl.app_context import AppContext
from mediadl.core.settings import Settings
from mediadl.db.models import User
from mediadl.schedules.scheduler import Scheduler
from mediadl.schedules.schemas import ScheduleCreate
from mediadl.schedules.service import ScheduleService
from tests.security.cheap import CHEAP_ARGON2

START = datetime(2026, 6, 1, 12, 0)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Cheap password hashing: these tests log in many people (the cost itself is tested
    with the auth tests)."""
    settings.auth = settings.auth.model_copy(update=CHEAP_ARGON2)
    return settings


class ManualClock:
    """Naive UTC time that moves only when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def scheduler(context: AppContext, clock: ManualClock) -> Scheduler:
    return Scheduler(context, clock=clock, run_inline=True)


@pytest.fixture
def service(context: AppContext, scheduler: Scheduler) -> ScheduleService:
    return ScheduleService(context.settings, context.db, scheduler)


@pytest.fixture
def owner(make_user: Callable[..., int], context: AppContext) -> User:
    user_id = make_user("owner")
    with context.db.read() as session:
        user = session.get(User, user_id)
    assert user is not None
    return user


@pytest.fixture
def make_schedule(service: ScheduleService, owner: User) -> Callable[..., int]:
    def _make(url: str, **fields: Any) -> int:
        return service.create(owner, ScheduleCreate(url=url, **fields)).schedule.id

    return _make
