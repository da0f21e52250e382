"""``/auth/tokens``: API tokens for scripts (the caller's own only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from mediadl.app_context import DatabaseDep
from mediadl.auth import api_tokens
from mediadl.auth.deps import Client, CurrentUser, InteractiveUser
from mediadl.auth.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenOut
from mediadl.core.schemas import MAX_ID
from mediadl.security import activity
from mediadl.security.activity import Actor

router = APIRouter(prefix="/tokens")
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="An API token id.")]


@router.post("", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED,
             summary="Create an API token (the token is shown only in this answer)")
def create_token(body: ApiTokenCreate, user: InteractiveUser, db: DatabaseDep,
                 client: Client, response: Response) -> ApiTokenCreated:
    with db.session() as session:
        created = api_tokens.create_api_token(session, user.id, body.name,
                                              body.expires_in_days)
        activity.record(session, Actor.of(user, client.address), activity.TOKEN_CREATED,
                        created.row.name, token_id=created.row.id, prefix=created.row.prefix)
    response.headers["Cache-Control"] = "no-store"
    out = ApiTokenOut.from_row(created.row)
    return ApiTokenCreated(**out.model_dump(), token=created.token)


@router.get("", response_model=list[ApiTokenOut], summary="Your API tokens")
def list_tokens(user: CurrentUser, db: DatabaseDep) -> list[ApiTokenOut]:
    with db.read() as session:
        rows = api_tokens.list_api_tokens(session, user.id)
    return [ApiTokenOut.from_row(row) for row in rows]


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Revoke one of your API tokens")
def delete_token(token_id: TokenId, user: CurrentUser, db: DatabaseDep,
                 client: Client) -> Response:
    with db.session() as session:
        row = api_tokens.delete_api_token(session, user.id, token_id)
        activity.record(session, Actor.of(user, client.address), activity.TOKEN_REVOKED,
                        row.name, token_id=token_id, prefix=row.prefix)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
