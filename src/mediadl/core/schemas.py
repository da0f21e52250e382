"""Base models: request bodies reject unknown fields, so a typo is a 422, not a silent no-op."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator

T = TypeVar("T")

# Row ids are INTEGER columns: 32 bits on PostgreSQL. A larger id in a path or a filter is
# refused up front (422) instead of failing in the database.
MAX_ID = 2**31 - 1
NUL_REFUSED = "Text must not contain NUL characters."


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store a NUL in text, and no name, link or setting needs one.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(NUL_REFUSED)
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)



class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
