from __future__ import annotations

from fastapi import APIRouter

from mediadl.app_context import DatabaseDep, SettingsDep
from mediadl.auth.deps import CurrentUser
from mediadl.media.schemas import ParseOut, ParseRequest
from mediadl.media.service import parse_url

router = APIRouter(tags=["parse"])


@router.post("/parse", response_model=ParseOut)
def parse(body: ParseRequest, _user: CurrentUser, settings: SettingsDep,
          db: DatabaseDep) -> ParseOut:
    return parse_url(settings, body.url, db)
