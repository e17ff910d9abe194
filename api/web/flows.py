"""Doing things: sign in and out, plan (a solve job with progress), absences and proposals, publish.

Every action calls the API's route function for it, so roles, versions and audit are the API's.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal, Role, token_hash
from api.deps import Db, Id
from api.jobs import job_params
from api.orm import Absence, ConfigVersion
from api.routes import absences as absence_routes
from api.routes import calendars as calendar_routes
from api.routes import plans as plan_routes
from api.schemas import job_out
from api.web import session
from api.web.common import (
    Current,
    FormId,
    FormVersion,
    LeaderPage,
    Page,
    Pg,
    Posted,
    User,
    WebError,
    call_api,
    current_plan,
    plan_param,
)
from api.web.preview import preview
from scheduler.config import ConfigError, parse_config
from scheduler.model import Meeting, MunicipalityConfig, Plan
from scheduler.rules import load_rules
from scheduler.term_dates import TZ

router = APIRouter(include_in_schema=False)


# --------------------------------------------------------------------------- sign in / out


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no '//host', no scheme): sign-in must not become an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login")
def login_form(p: Pg, next: str | None = None) -> Response:
    return p.render("login.html", title=p.t("sign_in"), next=_safe_next(next), failed=False)


@router.post("/login")
def login(
    request: Request,
    p: Pg,
    token: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if p.set_cookie or not session.csrf_ok(p.web, csrf):  # no session cookie came with the form
        raise WebError(403, p.t("csrf_failed"))
    who = p.state.directory.authenticate(token.strip())
    if who is None:
        return p.render("login.html", status=401, title=p.t("sign_in"), next=_safe_next(next), failed=True)
    p.web = session.sign_in(p.state, token_hash(token.strip()), who.name)
    p.set_cookie = True
    return p.redirect(_safe_next(next))


@router.post("/logout")
def logout(p: Posted) -> Response:
    """Ends the session on the server too, so a copy of the cookie no longer signs in."""
    assert p.user is not None
    session.sign_out(p.state, p.web, p.user.name)
    response = p.redirect("/login")
    session.clear(response)
    return response


# --------------------------------------------------------------------------- plan: solve and rules

RULE_GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("regularity", ("regularity", "preferred_weekdays")),
    ("continuity", ("continuity",)),
    ("fairness", ("fair_load", "rota_fairness")),
    ("travel", ("travel",)),
]


def rule_breakdown(plan: Plan) -> dict[str, Any]:
    """The soft rules by the four things a leader weighs, with each rule's plain-Danish meaning."""
    explanations = {r.name: r.explanation_da for r in load_rules()}
    costs = {c.rule: c for c in plan.rule_costs}
    grouped = {name for _, names in RULE_GROUPS for name in names}
    groups = [
        (key, [(costs[n], explanations.get(n, "")) for n in names if n in costs])
        for key, names in RULE_GROUPS
    ]
    others = [
        (c, explanations.get(c.rule, ""))
        for c in plan.rule_costs
        if c.level == "soft" and c.rule not in grouped
    ]
    return {"groups": groups, "others": others, "stats": plan.stats, "total": plan.objective}


@router.get("/solve")
def solve_page(p: LeaderPage, db: Db, plan: str | None = None) -> Response:
    configs = list(db.scalars(select(ConfigVersion).order_by(ConfigVersion.id.desc()).limit(20)))
    terms: list[tuple[str, str]] = []
    if configs:
        with contextlib.suppress(ConfigError):  # an old config that no longer passes: no terms to offer
            parsed = parse_config(configs[0].yaml, source=configs[0].name)
            terms = [(t.id, t.name) for t in parsed.terms]
    current = current_plan(p, db, plan_param(plan))
    jobs = [job_out(j) for j in _recent_jobs(db)]
    return p.render(
        "solve.html",
        title=p.t("plan_title"),
        configs=configs,
        terms=terms,
        current=current,
        breakdown=rule_breakdown(current.plan) if current else None,
        jobs=jobs,
    )


def _recent_jobs(db: Session) -> list[Any]:
    from api.orm import Job

    return list(db.scalars(select(Job).order_by(Job.id.desc()).limit(5)))


@router.post("/solve")
def solve_start(
    p: Posted,
    db: Db,
    config_id: FormId,
    term: Annotated[str, Form(max_length=100)] = "",
    time_limit: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    try:
        limit = float(time_limit.replace(",", ".")) if time_limit.strip() else None
        body = plan_routes.SolveRequest(config_id=config_id, term=term or None, time_limit=limit)
    except ValueError as exc:
        raise WebError(422, f"{p.t('time_limit')}: {time_limit}") from exc
    job = call_api(p, plan_routes.start_solve, body, db, p.user, Response(), p.state)
    return p.redirect(f"/solve/jobs/{job.id}")


def _progress(p: Page, db: Session, job_id: int) -> dict[str, Any]:
    try:
        row = storage.get_job(db, job_id)
    except storage.NotFound as exc:
        raise WebError(404, p.t("not_found")) from exc
    job = job_out(row)
    params = job_params(row)
    limit = params.time_limit or p.state.settings.solve_time_limit
    if not limit:
        try:
            config = parse_config(storage.get_config(db, params.config_version_id).yaml)
            limit = config.planning.time_limit_seconds
        except Exception:
            limit = 60.0
    progress = job.progress or {}
    if job.state == "done":
        percent = 100
    elif job.state == "running":
        percent = min(99, int(100 * float(progress.get("elapsed_s") or 0) / float(limit)))
    else:
        percent = 0
    objective, bound = progress.get("objective"), progress.get("best_bound")
    gap = None
    if objective not in (None, 0) and bound is not None:
        gap = max(0.0, (objective - bound) / abs(objective) * 100)
    return {
        "job": job,
        "percent": percent,
        "limit": limit,
        "solutions": progress.get("solutions"),
        "elapsed": progress.get("elapsed_s"),
        "gap": gap,
        "finished": job.state in ("done", "failed"),
        "plan_id": job.plan_id,
    }


@router.get("/solve/jobs/{job_id}")
def job_page(p: LeaderPage, db: Db, job_id: Id) -> Response:
    info = _progress(p, db, job_id)
    current = current_plan(p, db, info["plan_id"]) if info["plan_id"] else None
    breakdown = rule_breakdown(current.plan) if current else None
    return p.render("job.html", title=f"{p.t('job')} {job_id}", current=current, breakdown=breakdown, **info)


@router.get("/solve/jobs/{job_id}/progress")
def job_progress(p: LeaderPage, db: Db, job_id: Id) -> Response:
    """The progress fragment htmx polls; once the job has finished it stops asking."""
    return p.render("progress.html", **_progress(p, db, job_id))


# --------------------------------------------------------------------------- absences


def _local(value: str, field: str, p: Page) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise WebError(422, f"{p.t(field)}: {value!r}") from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=TZ)


def _staff_for(p: Page, db: Session) -> list[tuple[str, str]]:
    """(id, name) of the people this user may register absences for."""
    from api.orm import ConfigVersion as Cv

    latest = db.scalars(select(Cv).order_by(Cv.id.desc()).limit(1)).first()
    if latest is None:
        return []
    try:
        config = parse_config(latest.yaml, source=latest.name)
    except ConfigError as exc:
        raise WebError(409, p.t("bad_config")) from exc
    assert p.user is not None
    user = p.user
    return sorted(((s.id, s.name) for s in config.staff if user.may_act_for(s.id)), key=lambda x: x[1])


@router.get("/absence")
def absence_page(p: User, db: Db, person: str | None = None, day: str | None = None) -> Response:
    assert p.user is not None
    recent = select(Absence).order_by(Absence.id.desc()).limit(10)
    if p.user.role == Role.staff:
        recent = recent.where(Absence.person_id == (p.user.person or "\0"))
    return p.render(
        "absence.html",
        title=p.t("absence_title"),
        staff=_staff_for(p, db),
        recent=list(db.scalars(recent)),
        person=person,
        day=day if day and len(day) == 10 else "",
    )


@router.post("/absence")
def absence_register(
    p: Posted,
    db: Db,
    person: Annotated[str, Form(max_length=200)],
    start: Annotated[str, Form(max_length=40)],
    end: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    assert p.user is not None
    try:
        body = absence_routes.AbsenceRequest(
            person=person,
            start=_local(start, "from", p),
            end=_local(end, "to", p),
            reason=reason or None,
        )
    except ValueError as exc:
        raise WebError(422, str(exc).splitlines()[-1] if str(exc) else p.t("error")) from exc
    out = call_api(p, absence_routes.register, body, db, p.user, p.state, Response())
    return p.redirect(f"/absence/{out.id}")


def _unit_of(uid: str, plans: list[Plan], config: MunicipalityConfig) -> str | None:
    for plan in plans:
        meeting: Meeting | None = next((m for m in plan.meetings if m.uid == uid), None)
        if meeting is not None:
            return meeting.unit
    return None


def _absence_context(p: Page, db: Session, absence_id: int) -> dict[str, Any]:
    assert p.user is not None
    out = call_api(p, absence_routes.read, absence_id, db, p.user, Response())
    current: Current | None = current_plan(p, db, out.plan_id) if out.plan_id else current_plan(p, db, None)
    acceptable: dict[int, bool] = {}
    if current is not None:
        for proposal in out.proposals:
            units = {_unit_of(c.uid, [current.plan], current.config) for c in proposal.changes}
            acceptable[proposal.id] = p.is_leader and all(
                u is not None and p.user.may_change_unit(current.config, u) for u in units
            )
    return {"absence": out, "current": current, "acceptable": acceptable}


@router.get("/absence/{absence_id}")
def absence_view(p: User, db: Db, absence_id: Id) -> Response:
    return p.render("proposals.html", title=p.t("proposals"), **_absence_context(p, db, absence_id))


@router.post("/absence/{absence_id}/accept/{proposal_id}")
def absence_accept(p: Posted, db: Db, absence_id: Id, proposal_id: Id, version: FormVersion) -> Response:
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    change = call_api(p, absence_routes.accept, absence_id, proposal_id, db, p.user, p.state, version)
    context = _absence_context(p, db, absence_id)
    return p.render("proposals.html", title=p.t("proposals"), change=change, **context)


# --------------------------------------------------------------------------- publish


def _links(p: Page, db: Session, current: Current) -> list[tuple[str, str, Any]]:
    """(kind label, name, FeedLink) for every feed this user may hand out, by the API's rule."""
    assert p.user is not None
    user: Principal = p.user
    scope = calendar_routes.scope_config(db)
    kinds = [
        (calendar_routes.FeedKind.person, [(s.id, s.name) for s in current.config.staff]),
        (calendar_routes.FeedKind.unit, [(u.id, u.name) for u in current.config.units]),
        (calendar_routes.FeedKind.district, [(d.id, d.name) for d in current.config.districts]),
    ]
    links = []
    for kind, readers in kinds:
        for reader_id, name in readers:
            if not user.may_link(scope, kind.value, reader_id):
                continue
            links.append(
                (kind.value, name, calendar_routes.issue_link(db, p.state, user, kind, reader_id, scope))
            )
    db.commit()  # links issued now are kept, so the page shows the same ones next time
    return links


@router.get("/publish")
def publish_page(p: LeaderPage, db: Db, plan: str | None = None) -> Response:
    current = current_plan(p, db, plan_param(plan))
    if current is None:
        return p.render("empty.html", title=p.t("publish_title"))
    messages: dict[str, list[Any]] = {}
    problem = None
    try:
        secrets = storage.absence_reasons(db)
        messages = preview(current.config, current.plan, p.state.calendar, confidential=secrets)
    except Exception as exc:  # a plan that cannot be sent: say why, still show the links
        problem = str(exc)
    people = sorted(messages, key=current.person)
    return p.render(
        "publish.html",
        title=p.t("publish_title"),
        current=current,
        messages=messages,
        people=people,
        total=sum(len(v) for v in messages.values()),
        problem=problem,
        links=_links(p, db, current),
        result=None,
        delivery=_delivery(p, db, current),
    )


def _delivery(p: Page, db: Session, current: Current) -> Any:
    """How far the version's publication got (None if it was never published)."""
    if current.row.published_at is None:
        return None
    return call_api(p, plan_routes.delivery, current.row.id, db, p.user, p.state)


@router.post("/publish")
def publish_now(
    p: Posted, db: Db, plan: FormId, reason: Annotated[str, Form(max_length=1000)] = ""
) -> Response:
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    body = plan_routes.PublishRequest(reason=reason)
    result = call_api(p, plan_routes.publish, plan, body, db, p.user, p.state)
    current = current_plan(p, db, plan)
    assert current is not None
    return p.render(
        "publish.html",
        title=p.t("publish_title"),
        current=current,
        messages={},
        people=[],
        total=0,
        problem=None,
        links=_links(p, db, current),
        result=result,
        delivery=_delivery(p, db, current),
    )
