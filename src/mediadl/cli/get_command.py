"""``mediadl get URL``: one download in the terminal, no server, with a progress bar."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from mediadl.core.errors import MediadlError
from mediadl.core.settings import Settings
from mediadl.engines.base import (
    QUALITIES,
    Engine,
    EngineError,
    Event,
    FetchOptions,
    FileWritten,
    Started,
)
from mediadl.engines.base import Progress as ProgressEvent
from mediadl.engines.registry import engine_for_url
from mediadl.library.naming import claim_unique_path, library_name
from mediadl.media.urls import validate_media_url
from mediadl.security import outbound
from mediadl.security.policy import outbound_policy, refuse_unsafe_url

console = Console(stderr=True)
DEBUG_ENV = "MEDIADL_DEBUG"
INTERRUPTED_EXIT = 130


def get(
    url: Annotated[str, typer.Argument(help="The link to download.")],
    quality: Annotated[str, typer.Option("-q", "--quality",
                                         help="best, 2160, 1440, 1080, 720, 480, 360 or audio.")
                       ] = "best",
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the files.")
                      ] = Path(),
    debug: Annotated[bool, typer.Option("--debug", help=f"Show the traceback of a failure "
                                                        f"(or set {DEBUG_ENV}=1).")] = False,
) -> None:
    """Download one link (every entry of a playlist or feed) into a folder."""
    try:
        saved = download(Settings(), url, quality, output)
    except KeyboardInterrupt:
        _fail("interrupted", INTERRUPTED_EXIT)
    except Exception as error:
        # Whatever broke (the network, the disk, an engine, a setting), a person gets one
        # line and a non-zero exit; the traceback only on request.
        if debug or _debug_from_environment():
            raise
        _fail(_message(error))
    for path in saved:
        typer.echo(str(path))


def download(settings: Settings, url: str, quality: str, output: Path) -> list[Path]:
    url = validate_media_url(url)
    engine = _engine_for(settings, url, quality)
    options = _options(settings, quality)
    output.mkdir(parents=True, exist_ok=True)  # a folder we cannot write fails before any fetch
    with _outbound_guard(settings):
        probe = engine.probe(url, options)
        urls = [entry.url for entry in probe.entries] if probe.is_collection else [url]
        return [path for item_url in urls
                for path in _fetch_one(engine, item_url, options, output,
                                       settings.downloads.max_title_length)]


def _engine_for(settings: Settings, url: str, quality: str) -> Engine:
    """The engine for a URL the server would accept too; ValueError/InvalidPayload if not."""
    if quality not in QUALITIES:
        raise ValueError(f"unknown quality {quality!r}; choose one of {', '.join(QUALITIES)}")
    refuse_unsafe_url(settings, url)
    engine = engine_for_url(url)
    if engine is None:
        raise ValueError("no engine can read this URL")
    return engine


def _outbound_guard(settings: Settings) -> contextlib.AbstractContextManager[None]:
    """The server's SSRF guard for this process: every connection the engine makes (probe,
    redirects, fragments) reaches public addresses only, unless private networks are
    allowed."""
    policy = outbound_policy(settings)
    return outbound.guarded(policy) if policy is not None else nullcontext()


def _options(settings: Settings, quality: str) -> FetchOptions:
    return FetchOptions(
        quality=quality,
        fragment_concurrency=settings.downloads.fragment_concurrency,
        socket_timeout=settings.downloads.socket_timeout_seconds,
        retries=settings.downloads.retries,
        allow_private_networks=settings.allow_private_networks,
    )


def _fetch_one(engine: Engine, url: str, options: FetchOptions, output: Path,
               max_title_bytes: int) -> list[Path]:
    work = Path(tempfile.mkdtemp(prefix=".mediadl-", dir=output))
    try:
        with _progress_bar() as bar:
            sink = _TerminalSink(bar, bar.add_task(url, total=None))
            engine.fetch(url, work, options, sink)
        return [_place(event, output, max_title_bytes) for event in sink.files]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _place(event: FileWritten, output: Path, max_title_bytes: int) -> Path:
    name = library_name(source="", title=event.title or event.path.stem, media_id=event.media_id,
                        extension=event.path.suffix.lstrip("."), max_bytes=max_title_bytes)
    target = claim_unique_path(output, dataclasses.replace(name, source=""))
    os.replace(event.path, target)
    return target


class _TerminalSink:
    def __init__(self, bar: Progress, task: TaskID) -> None:
        self.bar, self.task = bar, task
        self.files: list[FileWritten] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, Started) and event.title:
            self.bar.update(self.task, description=_plain(event.title)[:60])
        elif isinstance(event, ProgressEvent):
            self.bar.update(self.task, completed=event.downloaded_bytes, total=event.total_bytes)
        elif isinstance(event, FileWritten):
            self.files.append(event)


def _progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                    DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                    console=console, transient=False)


def _plain(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable())


def _message(error: Exception) -> str:
    if isinstance(error, EngineError):
        text = error.message
    elif isinstance(error, MediadlError):
        text = error.detail
    elif isinstance(error, OSError) and error.strerror:
        # "Permission denied: '/x'" rather than "[Errno 13] Permission denied: '/x'".
        text = f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    else:
        text = str(error) or type(error).__name__
    return " ".join(_plain(text).split())[:300]


def _fail(message: str, code: int = 1) -> NoReturn:
    # soft_wrap: one line however narrow the terminal, so scripts can grep it.
    console.print(Text.assemble(("error: ", "red"), message), soft_wrap=True)
    raise typer.Exit(code)


def _debug_from_environment() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")
