"""Which platform a URL belongs to: the platform registry decides (mediadl.platforms)."""

from __future__ import annotations

from mediadl.platforms.routing import platform_for_url

__all__ = ["platform_for_url"]
