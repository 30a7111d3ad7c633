"""Hub mode's compute routes: the dashboard's Start / Stop / Leave-the-queue buttons, the
hub's pre-spawn question, and the staff page of balances with its grant form.

The buttons decide in a transaction of their own and talk to the hub only after it has
committed: starting a server makes the hub call back into this service (the spawn check),
which must not find the write lock held by the request that asked for the start. Their
outcome is shown once on the dashboard they redirect to, so a reload repeats nothing.
"""

from __future__ import annotations

import dataclasses
import hmac
from datetime import datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from practicum.compute.credits import format_credits, parse_credits
from practicum.course import Course
from practicum.hub.hub_client import HubError
from practicum.hub.spawn_policy import decide_spawn, request_start
from practicum.hub.types import SpawnDecision
from practicum.store import User
from practicum.store.credits import balances, staff_grant
from practicum.store.gpu_queue import assignments, leave_queue, waiting
from practicum.web.credit_panel import CreditPanel, credit_panel
from practicum.web.deps import (
    Browser,
    ComputeDep,
    CourseDep,
    CsrfChecked,
    Now,
    Pages,
    PageUser,
    ReadDb,
    StaffFormUser,
    StaffPageUser,
    WriteDb,
    get_compute,
    get_renderer,
    hub_mode,
    write_transaction,
)
from practicum.web.hub_mode import HubMode
from practicum.web.hub_servers import RunningServers, ServersSnapshot
from practicum.web.hub_users import HubUser, HubUserRefused, sign_in
from practicum.web.security import WebSession

router = APIRouter(include_in_schema=False)
HubModeDep = Annotated[HubMode, Depends(hub_mode)]


def running_servers(request: Request) -> RunningServers:
    servers: RunningServers = request.app.state.running_servers
    return servers


async def servers_snapshot(request: Request) -> ServersSnapshot | None:
    """The hub's servers in hub mode (cached for seconds); None in standalone mode."""
    if getattr(request.app.state, "hub_mode", None) is None:
        return None
    return await running_servers(request).snapshot()


HubServers = Annotated[ServersSnapshot | None, Depends(servers_snapshot)]


def dashboard_panel(
    request: Request,
    db: Session,
    user: User,
    servers: ServersSnapshot | None,
    now: datetime,
) -> CreditPanel | None:
    """The home page's compute panel; None in standalone mode (no hub, no servers)."""
    if servers is None:
        return None
    lab_url = hub_mode(request).lab_url(user.name)
    return credit_panel(db, get_compute(request), user, servers, now, lab_url)


def _back(
    request: Request, browser: WebSession, page: str, notice: tuple[str, str] | None
) -> Response:
    """Redirect to `page` (e.g. "/#server"), which shows `notice` once."""
    return get_renderer(request).redirect(request, browser, page, notice)


# ---------------------------------------------------------------------------------------------
# the student's buttons


@router.post("/server/start")
async def start_server(
    request: Request,
    mode: HubModeDep,
    course: CourseDep,
    compute: ComputeDep,
    user: PageUser,
    browser: Browser,
    _csrf: CsrfChecked,
    now: Now,
    profile: Annotated[str, Form(max_length=100)],
) -> Response:
    """Start a server now, queue for a GPU, or say why not."""
    name = user.name
    decision = await write_transaction(
        request, lambda db: request_start(db, course, compute, name, profile, now)
    )
    if decision.queue_position is not None:  # the dashboard shows the place and the wait
        return _back(request, browser, "/#server", None)
    chosen = compute.profile(profile)
    if not decision.allowed or chosen is None:
        return _back(request, browser, "/#server", ("error", decision.message))
    try:
        await anyio.to_thread.run_sync(mode.api.start_server, name, chosen.name)
    except HubError as exc:
        failed = f"JupyterHub did not start your server: {exc.detail or exc}"
        return _back(request, browser, "/#server", ("error", failed))
    finally:
        running_servers(request).forget()
    started = f"your {chosen.display_name} is starting"
    note = f" ({decision.message})" if decision.message else ""
    return _back(request, browser, "/#server", ("ok", started + note))


@router.post("/server/stop")
async def stop_server(
    request: Request, mode: HubModeDep, user: PageUser, browser: Browser, _csrf: CsrfChecked
) -> Response:
    """Stop the server (its files stay in the student's home)."""
    try:
        await anyio.to_thread.run_sync(mode.api.stop_server, user.name)
    except HubError as exc:
        failed = f"JupyterHub did not stop your server: {exc.detail or exc}"
        return _back(request, browser, "/#server", ("error", failed))
    finally:
        running_servers(request).forget()
    return _back(request, browser, "/#server", ("ok", "your server is stopping; your files stay"))


@router.post("/queue/leave")
async def leave_gpu_queue(
    request: Request, user: PageUser, browser: Browser, _csrf: CsrfChecked
) -> Response:
    left = await write_transaction(request, lambda db: leave_queue(db, user))
    notice = "you left the GPU queue" if left else "you were not in the GPU queue"
    return _back(request, browser, "/#server", ("ok", notice))


# ---------------------------------------------------------------------------------------------
# the hub's question


class SpawnCheck(BaseModel):
    user: str = Field(min_length=1, max_length=100)
    profile: str = Field(default="", max_length=100)


_hub_bearer = HTTPBearer(auto_error=False, description="The course service's own hub token")


def hub_caller(
    mode: HubModeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_hub_bearer)],
) -> None:
    """Only the hub holds the service's token: students' tokens, hub-issued or not, never
    pass (so nobody can claim a GPU or skip the credit check by asking directly)."""
    if credentials is None:
        raise HTTPException(
            401, "the hub's service token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    if not hmac.compare_digest(credentials.credentials.encode(), mode.api_token.encode()):
        raise HTTPException(403, "only JupyterHub may ask this")


@router.post("/hub/spawn-check")
def spawn_check(
    _hub: Annotated[None, Depends(hub_caller)],
    check: SpawnCheck,
    mode: HubModeDep,
    course: CourseDep,
    compute: ComputeDep,
    db: WriteDb,
    now: Now,
) -> dict[str, Any]:
    """The hub's pre-spawn hook asks here; the answer is a `SpawnDecision` as JSON."""
    try:
        user = sign_in(db, HubUser(check.user), mode.settings.auth.staff, now)
    except HubUserRefused as exc:
        decision = SpawnDecision(allowed=False, message=str(exc))
    else:
        decision = decide_spawn(db, course, compute, user.name, check.profile, now)
    return dataclasses.asdict(decision)


# ---------------------------------------------------------------------------------------------
# staff


@dataclasses.dataclass(frozen=True)
class BalanceRow:
    user: User
    balance_mc: int
    server: str
    """The server's profile and state, "" when none runs."""
    queue_position: int | None
    gpu: str | None


def _balance_rows(db: Session, servers: ServersSnapshot) -> list[BalanceRow]:
    users = db.scalars(select(User).order_by(User.role.desc(), User.name)).all()
    owed = balances(db, [u.id for u in users])
    queue = {entry.user: place for place, entry in enumerate(waiting(db), start=1)}
    gpus = {a.user_id: a.gpu for a in assignments(db)}
    rows = []
    for user in users:
        running = servers.of(user.name)
        state = ""
        if running is not None:
            state = f"{running.profile or 'default'}, " + ("ready" if running.ready else "starting")
        rows.append(BalanceRow(user, owed[user.id], state, queue.get(user.name), gpus.get(user.id)))
    return rows


def _staff_page(
    request: Request,
    pages: Pages,
    course: Course,
    user: User,
    browser: WebSession,
    db: Session,
    servers: ServersSnapshot | None,
    *,
    error: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    snapshot = servers or ServersSnapshot()
    notice = browser.notice
    if notice:
        browser = browser.with_notice(None)
    return pages.page(
        request,
        "staff_credits.html",
        course=course,
        browser=browser,
        user=user,
        status_code=status_code,
        rows=_balance_rows(db, snapshot),
        queue=waiting(db),
        holders={held.gpu: held for held in assignments(db)},
        gpus=hub_mode(request).settings.gpus,
        hub_error=snapshot.error,
        notice=notice,
        error=error,
        form=form or {},
    )


@router.get("/staff/credits")
def staff_credits(
    request: Request,
    pages: Pages,
    course: CourseDep,
    user: StaffPageUser,
    browser: Browser,
    db: ReadDb,
    servers: HubServers,
) -> Response:
    return _staff_page(request, pages, course, user, browser, db, servers)


@router.post("/staff/credits/grant")
def grant_credits(
    request: Request,
    pages: Pages,
    course: CourseDep,
    servers: HubServers,
    staff: StaffFormUser,
    browser: Browser,
    db: WriteDb,
    now: Now,
    student: Annotated[str, Form(max_length=100)],
    amount: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    """Give a student credits (a negative amount takes some back), with the reason."""
    name = student.strip().lower()
    target = db.scalar(select(User).where(User.name == name))
    try:
        if target is None:
            raise LookupError(f"no user {name!r}: they appear here after their first login")
        moved = parse_credits(amount)
        balance = staff_grant(db, staff, target, moved, reason.strip(), now)
    except (LookupError, ValueError) as exc:
        db.rollback()
        form = {"student": student, "amount": amount, "reason": reason}
        status = 404 if isinstance(exc, LookupError) else 400
        return _staff_page(
            request,
            pages,
            course,
            staff,
            browser,
            db,
            servers,
            error=str(exc),
            form=form,
            status_code=status,
        )
    done = (
        f"granted {format_credits(moved)} credits to {name}"
        if moved > 0
        else f"took {format_credits(-moved)} credits from {name}"
    ) + f"; balance now {format_credits(balance)}"
    return _back(request, browser, "/staff/credits", ("ok", done))
