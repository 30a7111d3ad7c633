"""Dependencies of the submission routes, which must not hold the write lock while they
read, parse and score an upload: the user is authenticated in a short write transaction of
its own (the same checks as `FormUser` / `ApiUser`), and the route gets the service's parts
rather than an open transaction (see `submit_flow.submit_upload`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from practicum import store
from practicum.course import Course
from practicum.service.submissions import SubmitContext
from practicum.settings.service import ServiceConfig
from practicum.web.deps import (
    Bearer,
    Browser,
    Config,
    CourseDep,
    CsrfField,
    Files,
    Now,
    api_user,
    form_user,
    get_engine,
    hub_token_owner,
    write_transaction,
)
from practicum.web.hub_users import HubUser


@dataclass(frozen=True)
class SubmitParts:
    """What a submission is taken against, without a session: each step opens its own."""

    engine: Engine
    files: store.FileStore
    config: ServiceConfig
    course: Course

    def context(self, db: Session) -> SubmitContext:
        return SubmitContext(db, self.files, self.config, self.course)


def submit_parts(
    engine: Annotated[Engine, Depends(get_engine)], files: Files, config: Config, course: CourseDep
) -> SubmitParts:
    return SubmitParts(engine, files, config, course)


async def submit_form_user(request: Request, browser: Browser, csrf_token: CsrfField = None) -> int:
    """The id of a form post's logged-in author (`form_user`), the lock held only for that."""
    return await write_transaction(request, lambda db: form_user(db, browser, csrf_token).id)


async def submit_api_user(
    request: Request,
    hub_owner: Annotated[HubUser | None, Depends(hub_token_owner)],
    now: Now,
    credentials: Bearer,
) -> int:
    """The id of the API token's owner (`api_user`), the lock held only for that."""
    return await write_transaction(
        request, lambda db: api_user(request, hub_owner, db, now, credentials).id
    )


SubmitService = Annotated[SubmitParts, Depends(submit_parts)]
SubmitFormUser = Annotated[int, Depends(submit_form_user)]
SubmitApiUser = Annotated[int, Depends(submit_api_user)]
