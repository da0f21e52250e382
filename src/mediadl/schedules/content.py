"""Content types a schedule may ask for: the ones its platform offers (the platforms
catalog), so "stories" on a podcast feed is refused with the list of what makes sense.

Some types name a part of a profile rather than a kind of file: Instagram's posts, reels,
stories and highlights, YouTube's videos, shorts and playlists tabs. A schedule of a
profile or channel lists those parts (one listing each) instead of the link as given; a
schedule of any other link of the platform cannot honour them and is refused. The other
types (videos, images, audio, ...) filter the entries by what they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from mediadl.core.errors import InvalidPayload
from mediadl.platforms.catalog import PLATFORMS, platform_named

# Per platform: the part of a profile each content type lists ({name}: the profile).
PROFILE_PARTS: dict[str, dict[str, str]] = {
    "instagram": {
        "posts": "https://www.instagram.com/{name}/posts/",
        "reels": "https://www.instagram.com/{name}/reels/",
        "stories": "https://www.instagram.com/stories/{name}/",
        "highlights": "https://www.instagram.com/{name}/highlights/",
        "profiles": "https://www.instagram.com/{name}/",
    },
    "youtube": {
        "videos": "https://www.youtube.com/{name}/videos",
        "shorts": "https://www.youtube.com/{name}/shorts",
        "playlists": "https://www.youtube.com/{name}/playlists",
        "channels": "https://www.youtube.com/{name}",
    },
}
# Types that only make sense for a profile: any other link of the platform refuses them.
PROFILE_ONLY: dict[str, frozenset[str]] = {
    "instagram": frozenset({"reels", "stories", "highlights", "profiles"}),
    "youtube": frozenset({"shorts", "channels"}),
}
# Types a platform offers for downloads that no listing of it can honour.
NOT_LISTABLE: dict[str, dict[str, str]] = {
    "tiktok": {"photos": "TikTok lists a user's videos only; add photo posts one link at a "
                         "time"},
}
PROFILE_LINKS: dict[str, tuple[re.Pattern[str], str]] = {
    "instagram": (re.compile(
        r"^https?://(?:www\.)?(?:instagram\.com|instagr\.am)/(?:stories/)?([\w.]+)"
        r"(?:/(?:posts|reels|tagged|highlights))?/?(?:[?#]|$)", re.IGNORECASE),
        "an Instagram profile link such as https://www.instagram.com/<user>/"),
    "youtube": (re.compile(
        r"^https?://(?:www\.|m\.)?youtube\.com/(@[\w.-]+|c/[\w.-]+|channel/[\w-]+|user/[\w.-]+)"
        r"(?:/(?:videos|shorts|streams|playlists|featured|live))?/?(?:[?#]|$)", re.IGNORECASE),
        "a YouTube channel link such as https://www.youtube.com/@<channel>"),
}
# Instagram paths that are no profile.
RESERVED_NAMES = frozenset({"p", "tv", "reel", "reels", "stories", "explore", "accounts",
                            "highlights", "direct"})


def offered_content_types(platform: str) -> tuple[str, ...]:
    known = platform_named(platform)
    if known is not None:
        return known.content_types
    return tuple(dict.fromkeys(kind for entry in PLATFORMS for kind in entry.content_types))


def profile_of(platform: str, url: str) -> str | None:
    """The profile (Instagram user) or channel (YouTube ``@name``) a link belongs to."""
    known = PROFILE_LINKS.get(platform)
    found = known[0].match(url) if known else None
    if found is None or found.group(1).lower() in RESERVED_NAMES:
        return None
    return found.group(1)


def check_content_types(platform: str, wanted: Iterable[str], url: str) -> list[str]:
    """The chosen types, or InvalidPayload naming the one the schedule cannot honour."""
    offered = offered_content_types(platform)
    chosen = list(dict.fromkeys(wanted))
    unknown = [kind for kind in chosen if kind not in offered]
    if unknown:
        raise InvalidPayload(f"content_types: {', '.join(unknown)} is not offered by "
                             f"{platform}; choose from {', '.join(offered)}.")
    for kind in chosen:
        _check_listable(platform, kind, url)
    return chosen


def _check_listable(platform: str, kind: str, url: str) -> None:
    why = NOT_LISTABLE.get(platform, {}).get(kind)
    if why:
        raise InvalidPayload(f"content_types: a schedule cannot honour '{kind}' on "
                             f"{platform}: {why}.")
    if kind in PROFILE_ONLY.get(platform, ()) and profile_of(platform, url) is None:
        raise InvalidPayload(f"content_types: '{kind}' needs {PROFILE_LINKS[platform][1]}; "
                             "this link is not one. Leave it out, or schedule the profile.")


def source_urls(platform: str, url: str, content_types: Sequence[str]) -> list[str]:
    """What a run lists: the profile parts the content types name, else the link itself."""
    parts = PROFILE_PARTS.get(platform, {})
    name = profile_of(platform, url)
    chosen = [parts[kind] for kind in content_types if kind in parts]
    if name is None or not chosen:
        return [url]
    return list(dict.fromkeys(part.format(name=name) for part in chosen))
