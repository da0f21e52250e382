"""Login throttling: failed attempts counted per account and per client address, in the
database so every server process sees the same counts.

The first few failures are free; after that each failure doubles the wait before the next
attempt is even looked at (``login_base_delay_seconds`` up to ``login_max_delay_seconds``).
While a key waits, attempts are refused with 429 before the password is checked, so
guessing goes no faster by trying harder. The per-account key is the submitted name,
whether or not such an account exists, so the answer reveals nothing about accounts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from ipaddress import IPv6Address, IPv6Network

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediadl.core.errors import TooManyRequests
from mediadl.core.settings import SecuritySettings
from mediadl.db.models.security import LoginThrottle
from mediadl.security.addresses import parse_address

MAX_KEY_LENGTH = 300


def account_key(username: str) -> str:
    return f"account:{username.strip().lower()}"[:MAX_KEY_LENGTH]


def address_key(address: str) -> str:
    """IPv6 clients are counted per /64: one host usually owns the whole /64."""
    try:
        parsed = parse_address(address)
    except ValueError:
        return f"address:{address}"[:MAX_KEY_LENGTH]
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:
            return f"address:{parsed.ipv4_mapped}"
        return f"address:{IPv6Network((parsed, 64), strict=False)}"
    return f"address:{parsed}"


def login_keys(username: str, address: str) -> tuple[str, str]:
    return account_key(username), address_key(address)


def refuse_if_waiting(session: Session, keys: Sequence[str], now: datetime) -> None:
    """TooManyRequests (with Retry-After) while any of ``keys`` must still wait."""
    until = session.scalar(select(LoginThrottle.blocked_until)
                           .where(LoginThrottle.key.in_(keys), LoginThrottle.blocked_until > now)
                           .order_by(LoginThrottle.blocked_until.desc()).limit(1))
    if until is not None:
        seconds = math.ceil((until - now).total_seconds())
        raise TooManyRequests(f"Too many failed logins; try again in {seconds} seconds.",
                              retry_after=seconds)


def record_failure(session: Session, settings: SecuritySettings, username: str,
                   address: str, now: datetime) -> None:
    account, client = login_keys(username, address)
    _forget_old(session, settings, now)
    _count(session, account, settings.login_free_failures_per_account, settings, now)
    _count(session, client, settings.login_free_failures_per_address, settings, now)


def clear_account(session: Session, username: str) -> None:
    """After a good login. The address count stays: one valid account must not let its
    owner wipe the record of guesses made from the same place at other accounts."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(username)))


def delay_after(failures: int, free: int, settings: SecuritySettings) -> float:
    """Seconds to wait after the ``failures``-th failure (0 while still free)."""
    excess = failures - free
    if excess <= 0:
        return 0.0
    # Capped before the power so a long run of failures cannot overflow the float.
    doublings = min(excess - 1, 60)
    return float(min(settings.login_base_delay_seconds * 2 ** doublings,
                     settings.login_max_delay_seconds))


def _count(session: Session, key: str, free: int, settings: SecuritySettings,
           now: datetime) -> None:
    _ensure_row(session, key, now)
    session.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                    .values(failures=LoginThrottle.failures + 1, last_failure_at=now)
                    .execution_options(synchronize_session=False))
    failures = session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key))
    wait = delay_after(int(failures or 0), free, settings)
    if wait:
        session.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                        .values(blocked_until=now + timedelta(seconds=wait))
                        .execution_options(synchronize_session=False))


def _ensure_row(session: Session, key: str, now: datetime) -> None:
    if session.get(LoginThrottle, key) is not None:
        return
    try:
        # A savepoint: on PostgreSQL a concurrent first failure may insert the row first.
        with session.begin_nested():
            session.add(LoginThrottle(key=key, failures=0, last_failure_at=now))
    except IntegrityError:
        pass


def _forget_old(session: Session, settings: SecuritySettings, now: datetime) -> None:
    cutoff = now - timedelta(minutes=settings.login_failure_window_minutes)
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < cutoff,
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until <= now))
        .execution_options(synchronize_session=False))
