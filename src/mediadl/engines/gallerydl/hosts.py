"""The links gallery-dl takes in mediadl: Instagram (all but reels, which yt-dlp takes),
TikTok photo posts, and image hosts whose pages lead to a full-size image.

Forum threads never go to gallery-dl, not even those of the few forums it has extractors
for: the forum engine reads every thread the same way (posts only, one job per image, the
next run starting at the last page read) and hands each image-host link to gallery-dl."""

from __future__ import annotations

import re

# Image hosts that gallery-dl has extractors for (gallery_dl/extractor/imagehosts.py and
# siblings). The forum engine hands links to these hosts to gallery-dl too.
IMAGE_HOST_DOMAINS: tuple[str, ...] = (
    "imagebam.com", "imgbox.com", "pixhost.to", "pixhost.cc", "pixhost.org", "postimg.cc",
    "postimages.org", "turboimagehost.com", "imagevenue.com", "imgur.com", "ibb.co",
    "imgbb.com", "vipr.im", "imx.to", "imagetwist.com", "acidimg.cc", "imgspice.com",
    "imgadult.com", "catbox.moe", "imgchest.com", "lensdump.com",
)

_HOSTS = "|".join(re.escape(domain) for domain in IMAGE_HOST_DOMAINS)
IMAGE_HOST_LINK = re.compile(rf"^https?://(?:[\w-]+\.)*(?:{_HOSTS})(?::\d+)?/[^\s]*$",
                             re.IGNORECASE)
INSTAGRAM_LINK = re.compile(
    r"^https?://(?:www\.)?(?:instagram\.com|instagr\.am)/"
    r"(?!(?:[\w.]+/)?reels?/[\w-]+/?(?:[?#]|$))[\w.]", re.IGNORECASE)
TIKTOK_PHOTO_LINK = re.compile(r"^https?://(?:www\.)?tiktok\.com/@[\w.-]+/photo/\d+",
                               re.IGNORECASE)


def is_image_host_link(url: str) -> bool:
    return IMAGE_HOST_LINK.match(url) is not None
