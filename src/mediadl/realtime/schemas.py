"""What a client may send on a socket, and the ticket answer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from mediadl.core.schemas import RequestModel, ResponseModel
from mediadl.core.settings import LogLevel


class AuthMessage(RequestModel):
    type: Literal["auth"]
    ticket: str = Field(max_length=256)


class FilterMessage(RequestModel):
    """``/ws/logs`` only: the lowest level, a module (its sub-modules too) and a job."""

    type: Literal["filter"]
    level: LogLevel | None = None
    module: str | None = Field(None, max_length=200)
    job_id: int | None = Field(None, ge=1)


class ControlMessage(RequestModel):
    """``resync`` asks for a fresh snapshot; ``ping`` is answered with ``pong``."""

    type: Literal["resync", "ping"]


ClientMessage = Annotated[AuthMessage | FilterMessage | ControlMessage,
                          Field(discriminator="type")]
client_message = TypeAdapter(ClientMessage)


class TicketOut(ResponseModel):
    ticket: str
    expires_in: int
