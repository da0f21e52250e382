"""Base models: request bodies reject unknown fields, so a typo is a 422, not a silent no-op."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)



class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
