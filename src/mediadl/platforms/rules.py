"""What the queue asks the platforms when a link is added: which platform and engine, is the
platform enabled, and which quality "best" stands for there. Loaded once per transaction,
so a batch of ten thousand links costs one query."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediadl.core.errors import Conflict
from mediadl.db.models.platforms import PlatformSetting
from mediadl.db.session import Database
from mediadl.platforms.routing import Route, route


@dataclass(frozen=True)
class PlatformRules:
    disabled: frozenset[str] = frozenset()
    default_quality: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> PlatformRules:
        rows = session.execute(select(PlatformSetting.name, PlatformSetting.enabled,
                                      PlatformSetting.default_quality)).all()
        return cls(disabled=frozenset(name for name, enabled, _ in rows if not enabled),
                   default_quality={name: quality for name, _, quality in rows if quality})

    @classmethod
    def load_from(cls, db: Database) -> PlatformRules:
        with db.read() as session:
            return cls.load(session)

    def route(self, url: str) -> Route:
        """The route of ``url``; Conflict when an admin disabled its platform."""
        return self.check(route(url))

    def check(self, found: Route) -> Route:
        if found.platform.name in self.disabled:
            raise Conflict(f"{found.platform.label} is disabled; an admin can enable it in "
                           "the platform settings.")
        return found

    def quality(self, platform: str, requested: str | None) -> str:
        """The platform's default quality stands in for "best", the request's default."""
        if requested not in (None, "best"):
            return str(requested)
        return self.default_quality.get(platform, "best")
