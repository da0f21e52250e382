"""``mediadl get URL``: one download in the terminal, no server, with a progress bar."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

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

console = Console(stderr=True)


def get(
    url: Annotated[str, typer.Argument(help="The link to download.")],
    quality: Annotated[str, typer.Option("-q", "--quality",
                                         help="best, 2160, 1440, 1080, 720, 480, 360 or audio.")
                       ] = "best",
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the files.")
                      ] = Path(),
) -> None:
    """Download one link (every entry of a playlist or feed) into a folder."""
    try:
        saved = download(url, quality, output)
    except (EngineError, ValueError) as error:
        console.print(Text.assemble(("error: ", "red"), _message(error)))
        raise typer.Exit(1) from None
    for path in saved:
        typer.echo(str(path))


def download(url: str, quality: str, output: Path) -> list[Path]:
    url = validate_media_url(url)
    if quality not in QUALITIES:
        raise ValueError(f"unknown quality {quality!r}; choose one of {', '.join(QUALITIES)}")
    engine = engine_for_url(url)
    if engine is None:
        raise ValueError("no engine can read this URL")
    options = _options(quality)
    probe = engine.probe(url, options)
    urls = [entry.url for entry in probe.entries] if probe.is_collection else [url]
    output.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    for item_url in urls:
        saved.extend(_fetch_one(engine, item_url, options, output))
    return saved


def _options(quality: str) -> FetchOptions:
    settings = Settings()
    return FetchOptions(
        quality=quality,
        fragment_concurrency=settings.downloads.fragment_concurrency,
        socket_timeout=settings.downloads.socket_timeout_seconds,
        retries=settings.downloads.retries,
        allow_private_networks=settings.allow_private_networks,
    )


def _fetch_one(engine: Engine, url: str, options: FetchOptions, output: Path) -> list[Path]:
    work = Path(tempfile.mkdtemp(prefix=".mediadl-", dir=output))
    try:
        with _progress_bar() as bar:
            sink = _TerminalSink(bar, bar.add_task(url, total=None))
            engine.fetch(url, work, options, sink)
        return [_place(event, output) for event in sink.files]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _place(event: FileWritten, output: Path) -> Path:
    name = library_name(source="", title=event.title or event.path.stem, media_id=event.media_id,
                        extension=event.path.suffix.lstrip("."), max_bytes=150)
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
    text = error.message if isinstance(error, EngineError) else str(error)
    return " ".join(_plain(text).split())[:300]
