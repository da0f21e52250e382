"""Tables of the real-time feature: one-time WebSocket tickets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mediadl.core.clock import utcnow
from mediadl.db.base import Base


class WsTicket(Base):
    """A ticket that opens one WebSocket. Stored in the database (hashed) so any API process
    can redeem it, whichever process issued it."""

    __tablename__ = "ws_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The user's token_version when the ticket was issued: a logout in between voids it.
    token_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
