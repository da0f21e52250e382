from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

from mediadl.core.schemas import RequestModel, ResponseModel
from mediadl.media.urls import validate_media_url


class ParseRequest(RequestModel):
    url: Annotated[str, AfterValidator(validate_media_url)]


class FormatOut(ResponseModel):
    format_id: str
    ext: str | None
    width: int | None
    height: int | None
    fps: float | None
    vcodec: str | None
    acodec: str | None
    filesize: int | None
    tbr: float | None
    note: str | None


class EntryOut(ResponseModel):
    url: str
    title: str | None
    duration: float | None


class ParseOut(ResponseModel):
    url: str
    platform: str
    engine: str
    kind: str
    title: str | None
    uploader: str | None
    duration: float | None
    thumbnail: str | None
    entry_count: int | None
    formats: list[FormatOut]
    qualities: list[str]
    entries: list[EntryOut]
    description: str | None = None
    metadata: dict[str, Any] = {}
