"""The platforms mediadl knows, as one explicit tuple. Order matters: the first platform
whose hosts (or, for host-less platforms, whose URL shapes) match a link takes it, so the
catch-all ``generic`` comes last.

Inside a platform, the first route whose pattern matches picks the engine and names the
content type; a link of the platform's hosts that no route names goes to its default engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mediadl.engines.gallerydl.hosts import IMAGE_HOST_DOMAINS


@dataclass(frozen=True)
class PlatformRoute:
    engine: str
    pattern: re.Pattern[str]
    content_type: str


@dataclass(frozen=True)
class Platform:
    name: str
    label: str
    description: str
    engine: str  # the default engine
    content_types: tuple[str, ...]
    examples: tuple[str, ...]
    hosts: re.Pattern[str] | None = None  # None: any host, but only the routes' URL shapes
    routes: tuple[PlatformRoute, ...] = ()
    needs_cookies: bool = False
    cookies_note: str = "Not needed."
    # Links of any host may be sent to it on purpose (POST /platforms/{name}/download).
    accepts_any_url: bool = False
    # Tried when the engine finds nothing it can read at a link of this platform.
    fallback_engine: str | None = None
    # A stable public link used by POST /platforms/{name}/test when none is given.
    test_url: str | None = None
    default_min_interval_s: float = 0.0
    hidden: bool = False  # routable, but not listed (the fake platform of the test suite)
    shortcuts: tuple[str, ...] = field(default=())
    # Engines the engine registry may pick for links no route names (generic: http).
    other_engines: tuple[str, ...] = ()

    @property
    def engines(self) -> tuple[str, ...]:
        names = [self.engine, *(route.engine for route in self.routes), *self.other_engines]
        if self.fallback_engine:
            names.append(self.fallback_engine)
        return tuple(dict.fromkeys(names))


def _hosts(*domains: str) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(domain) for domain in domains)
    return re.compile(rf"(?:^|\.)(?:{alternatives})$", re.IGNORECASE)


def _route(engine: str, pattern: str, content_type: str) -> PlatformRoute:
    return PlatformRoute(engine, re.compile(pattern, re.IGNORECASE), content_type)


_PATH_END = r"/?(?:[?#]|$)"

YOUTUBE = Platform(
    name="youtube", label="YouTube", engine="ytdlp",
    description="Videos, Shorts, playlists and channels; any quality, or the audio only.",
    content_types=("videos", "shorts", "playlists", "channels", "audio"),
    hosts=_hosts("youtube.com", "youtu.be", "youtube-nocookie.com"),
    routes=(
        _route("ytdlp", r"/shorts/", "shorts"),
        _route("ytdlp", r"[?&]list=|/playlist\b", "playlists"),
        _route("ytdlp", r"://[^/]+/(?:@|c/|channel/|user/)", "channels"),
    ),
    cookies_note=("Only for age-restricted or members-only videos, or when YouTube asks to "
                  "confirm you are not a bot."),
    test_url="https://www.youtube.com/watch?v=jNQXAC9IVRw",
    examples=(
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/shorts/aqz-KE-bpKQ",
        "https://www.youtube.com/@NASA",
        "https://www.youtube.com/playlist?list=PLBCF2DAC6FFB574DE",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
)

BILIBILI = Platform(
    name="bilibili", label="Bilibili", engine="ytdlp",
    description="Videos, multi-part videos, collections and user spaces; quality choice, "
                "audio extraction.",
    content_types=("videos", "playlists", "audio"),
    hosts=_hosts("bilibili.com", "b23.tv", "bilibili.tv"),
    routes=(_route("ytdlp", r"://space\.bilibili\.com/|/medialist/|/favlist", "playlists"),),
    cookies_note="Only for 1080p and above, and for members-only videos.",
    test_url="https://www.bilibili.com/video/BV1GJ411x7h7",
    examples=(
        "https://www.bilibili.com/video/BV1GJ411x7h7",
        "https://b23.tv/BV1GJ411x7h7",
        "https://space.bilibili.com/2/video",
        "https://www.bilibili.tv/en/video/2009202",
    ),
)

TIKTOK = Platform(
    name="tiktok", label="TikTok", engine="ytdlp",
    description="A user's videos (without watermark), single videos and photo posts.",
    content_types=("videos", "photos", "users"),
    hosts=_hosts("tiktok.com"),
    routes=(
        _route("gallerydl", r"/photo/\d+", "photos"),
        _route("ytdlp", r"/video/\d+", "videos"),
        _route("ytdlp", r"://(?:vm|vt)\.tiktok\.com/", "videos"),
        _route("ytdlp", r"://[^/]+/@[\w.-]+" + _PATH_END, "users"),
    ),
    cookies_note="Only for private or age-restricted accounts.",
    default_min_interval_s=1.0,
    shortcuts=("user",),
    examples=(
        "https://www.tiktok.com/@scout2015",
        "https://www.tiktok.com/@scout2015/video/6718335390845095173",
        "https://www.tiktok.com/@user.name/photo/7350000000000000000",
        "https://vm.tiktok.com/ZMeAbCdEf/",
    ),
)

INSTAGRAM = Platform(
    name="instagram", label="Instagram", engine="gallerydl",
    description="Posts (photos, carousels, videos), reels, stories and highlights of a "
                "profile.",
    content_types=("posts", "reels", "stories", "highlights", "profiles"),
    hosts=_hosts("instagram.com", "instagr.am"),
    routes=(
        _route("ytdlp", r"://[^/]+/(?:[\w.]+/)?reels?/[\w-]+" + _PATH_END, "reels"),
        _route("gallerydl", r"/stories/highlights/|/highlights/", "highlights"),
        _route("gallerydl", r"/stories/", "stories"),
        _route("gallerydl", r"/(?:p|tv)/[\w-]+", "posts"),
        _route("gallerydl", r"://[^/]+/[\w.]+(?:/(?:posts|tagged|reels))?" + _PATH_END,
               "profiles"),
    ),
    needs_cookies=True,
    cookies_note=("Needed for stories and highlights, and for most profiles: Instagram shows "
                  "little to visitors who are not logged in."),
    default_min_interval_s=3.0,
    shortcuts=("posts", "stories"),
    examples=(
        "https://www.instagram.com/p/C0ffeeBean12/",
        "https://www.instagram.com/reel/C0ffeeReel34/",
        "https://www.instagram.com/stories/natgeo/",
        "https://www.instagram.com/stories/highlights/17890000000000000/",
        "https://www.instagram.com/natgeo/",
        "https://www.instagram.com/natgeo/posts/",
    ),
)

IMAGEHOST = Platform(
    name="imagehost", label="Image hosts", engine="gallerydl",
    description="Image and gallery pages of imagebam, imgbox, pixhost, postimg, "
                "turboimagehost, imagevenue, imgur, imgbb and others: the full-size image "
                "behind each page.",
    content_types=("images", "galleries"),
    hosts=_hosts(*IMAGE_HOST_DOMAINS),
    examples=(
        "https://www.imagebam.com/view/MEABCDE",
        "https://imgbox.com/AbCdEfGh",
        "https://pixhost.to/show/123/456789_photo.jpg",
        "https://postimg.cc/AbCdEfGh",
        "https://www.turboimagehost.com/p/12345678/photo.jpg.html",
        "https://img123.imagevenue.com/view/ME1ABCDE",
        "https://imgur.com/a/AbCdE",
    ),
)

FAKE = Platform(
    name="fake", label="Fake (tests)", engine="fake",
    description="A deterministic source for tests and UI development; never touches the "
                "network.",
    content_types=("videos", "playlists"),
    hosts=_hosts("fake.invalid"),
    hidden=True,
    examples=("https://fake.invalid/video/clip", "https://fake.invalid/playlist/show"),
)

# Thread URL shapes of the common forum software, on any host. Every thread goes to the
# forum engine, also on the XenForo and vBulletin forums gallery-dl has extractors for: one
# way for all forums (posts only, one job per image in the download archive, the next run
# starting at the last page read, post dates); gallery-dl still resolves image-host links.
FORUM_THREAD_PATTERNS = (
    r"/threads/(?:[^/?#]*\.)?\d+(?:/|[?#]|$)",            # XenForo
    r"/showthread\.php(?:[?/]|$)",                           # vBulletin, MyBB
    r"/viewtopic\.php\?",                                    # phpBB
    r"/index\.php\?(?:[^#]*&)?topic=\d+",                    # SMF
    r"/topic/\d+-[^/?#]+",                                   # Invision Community
    r"/thread-\d+(?:-page-\d+)?\.html",                      # MyBB (SEO URLs)
    r"/t/[^/?#]+/\d+",                                       # Discourse
)

FORUM = Platform(
    name="forum", label="Forum threads", engine="forum",
    description="Any forum thread, page by page: the full-size image behind every image-host "
                "link and thumbnail in its posts. A re-run fetches only what is new.",
    content_types=("threads", "images"),
    routes=tuple(_route("forum", pattern, "threads") for pattern in FORUM_THREAD_PATTERNS),
    cookies_note="Only for forums that show images to members.",
    accepts_any_url=True,
    fallback_engine="ytdlp",
    shortcuts=("thread",),
    examples=(
        "https://forum.example.com/threads/summer-photos.12345/",
        "https://forum.example.com/threads/summer-photos.12345/page-3",
        "https://board.example.org/showthread.php?t=98765",
        "https://board.example.org/showthread.php?98765-summer-photos",
        "https://community.example.net/viewtopic.php?f=2&t=4242",
        "https://smf.example.net/index.php?topic=777.0",
        "https://ips.example.net/topic/31337-photo-thread/",
    ),
)

GENERIC = Platform(
    name="generic", label="Any page or file",
    engine="ytdlp",
    description="Any video page yt-dlp can read (1,800+ sites), direct files, HLS and DASH "
                "streams, podcast feeds, and pages of images linked to full-size versions.",
    content_types=("videos", "audio", "images", "files", "streams", "feeds", "galleries"),
    accepts_any_url=True,
    fallback_engine="forum",
    other_engines=("http",),
    examples=(
        "https://vimeo.com/76979871",
        "https://media.example.com/clips/sample.mp4",
        "https://cdn.example.com/live/stream/master.m3u8",
        "https://cdn.example.com/vod/manifest.mpd",
        "https://podcast.example.org/feed.xml",
        "https://photos.example.org/gallery",
    ),
)

PLATFORMS: tuple[Platform, ...] = (YOUTUBE, BILIBILI, TIKTOK, INSTAGRAM, IMAGEHOST, FAKE,
                                   FORUM, GENERIC)


def platform_named(name: str) -> Platform | None:
    return next((platform for platform in PLATFORMS if platform.name == name), None)


def listed_platforms() -> tuple[Platform, ...]:
    return tuple(platform for platform in PLATFORMS if not platform.hidden)
