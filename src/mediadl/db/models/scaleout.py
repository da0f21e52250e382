"""Facts about the installation that every process must agree on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediadl.core.clock import utcnow
from mediadl.db.base import Base


class InstanceValue(Base):
    """A small key → value store, e.g. the id of the shared library storage."""

    __tablename__ = "instance_values"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
