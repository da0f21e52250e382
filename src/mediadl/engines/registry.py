"""The explicit list of engines. Order matters: the first engine whose pattern matches wins,
so the catch-all ``ytdlp`` engine comes last."""

from __future__ import annotations

from mediadl.engines.base import Engine
from mediadl.engines.fake.engine import FakeEngine
from mediadl.engines.forum.engine import ForumEngine
from mediadl.engines.gallerydl.engine import GalleryDlEngine
from mediadl.engines.http.engine import HttpEngine
from mediadl.engines.ytdlp.engine import YtdlpEngine

ENGINES: tuple[Engine, ...] = (FakeEngine(), GalleryDlEngine(), ForumEngine(), HttpEngine(),
                               YtdlpEngine())


def engine_named(name: str) -> Engine:
    for engine in ENGINES:
        if engine.name == name:
            return engine
    raise KeyError(name)


def engine_for_url(url: str) -> Engine | None:
    for engine in ENGINES:
        if any(pattern.search(url) for pattern in engine.url_patterns):
            return engine
    return None
