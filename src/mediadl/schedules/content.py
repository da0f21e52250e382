"""Content types a schedule may ask for: the ones its platform offers (the platforms
catalog), so "stories" on a podcast feed is refused with the list of what makes sense."""

from __future__ import annotations

from collections.abc import Iterable

from mediadl.core.errors import InvalidPayload
from mediadl.platforms.catalog import PLATFORMS, platform_named


def offered_content_types(platform: str) -> tuple[str, ...]:
    known = platform_named(platform)
    if known is not None:
        return known.content_types
    return tuple(dict.fromkeys(kind for entry in PLATFORMS for kind in entry.content_types))


def check_content_types(platform: str, wanted: Iterable[str]) -> list[str]:
    offered = offered_content_types(platform)
    chosen = list(dict.fromkeys(wanted))
    unknown = [kind for kind in chosen if kind not in offered]
    if unknown:
        raise InvalidPayload(f"content_types: {', '.join(unknown)} is not offered by "
                             f"{platform}; choose from {', '.join(offered)}.")
    return chosen
