"""Doing things: sign in and out, plan (a solve job with progress), absences and proposals, publish.

Every action calls the API's service for it (`api.services`), so roles, versions and audit are the
API's; a service's refusal is shown as an error page with the API's status and message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.orm import Session

from api import storage
from api.auth import token_hash
from api.deps import Db, Id
from api.errors import Refused, status_of
from api.services import absences as absence_service
from api.services import calendars as calendar_service
from api.services import configs as config_service
from api.services import jobs as job_service
from api.services import plans as plan_service
from api.services.absence_input import AbsenceConflict, AbsenceInputError, form_text, span_text
from api.services.calendars import FeedKind, FeedLink
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
    current_plan,
    plan_param,
)
from api.web.preview import reasons, shown
from calendar_sync.backends.base import SERVICE_RECIPIENT
from scheduler.config import ConfigError, parse_config
from scheduler.danish import distance_pct
from scheduler.model import Meeting, MunicipalityConfig, Plan
from scheduler.rules import load_rules

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
    ("regularity", ("regularity", "preferred_weekdays", "preferred_start")),
    ("continuity", ("continuity",)),
    ("fairness", ("fair_load", "rota_fairness")),
    ("travel", ("travel",)),
]


def rule_breakdown(plan: Plan) -> dict[str, Any]:
    """The soft rules by the four things a leader weighs, with each rule's plain-Danish meaning and
    what the plan bent, said in meetings, minutes and people by the rule itself (`count_da`)."""
    rules = {r.name: r for r in load_rules()}
    explanations = {name: r.explanation_da for name, r in rules.items()}
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
    phrases = {
        c.rule: rules[c.rule].count_phrase_da(c.violations) if c.rule in rules else str(c.violations)
        for c in plan.rule_costs
        if c.violations
    }
    return {
        "groups": groups,
        "others": others,
        "stats": plan.stats,
        "total": plan.objective,
        "phrases": phrases,
        "distance": distance_pct(plan.status.value, plan.objective, plan.best_bound),
    }


@router.get("/solve")
def solve_page(p: LeaderPage, db: Db, plan: str | None = None) -> Response:
    configs = storage.config_versions(db, limit=20)
    terms: list[tuple[str, str]] = []
    if configs:
        with contextlib.suppress(ConfigError):  # an old config that no longer passes: no terms to offer
            parsed = parse_config(configs[0].yaml, source=configs[0].name)
            terms = [(t.id, t.name) for t in parsed.terms]
    current = current_plan(p, db, plan_param(plan))
    jobs = job_service.recent(db, p.who, 5)
    return p.render(
        "solve.html",
        title=p.t("plan_title"),
        configs=configs,
        terms=terms,
        current=current,
        breakdown=rule_breakdown(current.plan) if current else None,
        jobs=jobs,
    )


@router.post("/solve")
def solve_start(
    p: Posted,
    db: Db,
    config_id: FormId,
    term: Annotated[str, Form(max_length=100)] = "",
    time_limit: Annotated[str, Form(max_length=10)] = "",
    fresh: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    try:
        limit = float(time_limit.replace(",", ".")) if time_limit.strip() else None
        body = plan_service.SolveRequest(
            config_id=config_id, term=term or None, time_limit=limit, fresh=bool(fresh)
        )
    except ValueError as exc:
        raise WebError(422, f"{p.t('time_limit')}: {time_limit}") from exc
    job = plan_service.start_solve(db, p.who, p.state, body)
    return p.redirect(f"/solve/jobs/{job.id}")


def _progress(p: Page, db: Session, job_id: int) -> dict[str, Any]:
    try:
        status = job_service.status(db, p.who, job_id)
    except storage.NotFound as exc:
        raise WebError(404, p.t("not_found")) from exc
    job, params = status.out, status.params
    limit = (
        params.time_limit
        or p.state.settings.solve_time_limit
        or config_service.planning_time_limit(db, params.config_version_id)
    )
    progress = job.progress or {}
    elapsed = _running_for(job.started_at, progress.get("elapsed_s")) if job.state == "running" else None
    if job.state == "done":
        percent = 100
    elif elapsed is not None:
        percent = min(99, int(100 * elapsed / float(limit)))
    else:
        percent = 0
    # a running solve's plans are FEASIBLE; a finished job's plan says its own status
    objective, bound = progress.get("objective"), progress.get("best_bound")
    gap = distance_pct("FEASIBLE", objective, bound) if job.state == "running" else None
    return {
        "job": job,
        "percent": percent,
        "limit": limit,
        "solutions": progress.get("solutions"),
        "elapsed": round(elapsed) if elapsed is not None else None,
        "phase": _phase(job.state, progress),
        "gap": gap,
        "finished": job.state in ("done", "failed"),
        "plan_id": job.plan_id,
    }


def _running_for(started: datetime | None, solver_seconds: Any) -> float:
    """Seconds since the worker took the job: building the model counts, not only CP-SAT's time
    after its first plan (which is all the solver reports)."""
    wall = 0.0
    if started is not None:
        began = started if started.tzinfo is not None else started.replace(tzinfo=UTC)
        wall = max(0.0, (datetime.now(UTC) - began).total_seconds())
    return max(wall, float(solver_seconds or 0))


def _phase(state: str, progress: dict[str, Any]) -> str:
    """What the job is doing, as a text key: waiting, building the model (until the solver has
    its first plan), solving, or its end."""
    if state == "running":
        return "phase_solving" if progress.get("solutions") else "phase_building"
    return "job_" + state


@router.get("/solve/jobs/{job_id}")
def job_page(p: LeaderPage, db: Db, job_id: Id) -> Response:
    info = _progress(p, db, job_id)
    current = current_plan(p, db, info["plan_id"]) if info["plan_id"] else None
    breakdown = rule_breakdown(current.plan) if current else None
    return p.render("job.html", title=f"{p.t('job')} {job_id}", current=current, breakdown=breakdown, **info)


@router.get("/solve/jobs/{job_id}/progress")
def job_progress(p: LeaderPage, db: Db, job_id: Id) -> Response:
    """The progress fragment htmx polls. Once the job has finished, a poll reloads the whole page
    (`HX-Refresh`), which then shows the plan's summary: the result needs no extra click."""
    info = _progress(p, db, job_id)
    response = p.render("progress.html", **info)
    if info["finished"] and p.request.headers.get("HX-Request") == "true":
        response.headers["HX-Refresh"] = "true"
    return response


# --------------------------------------------------------------------------- absences


def _labels(p: Page) -> dict[str, str]:
    """The absence form's fields by the labels it shows, for messages that name them."""
    return {
        "person": p.t("person"),
        "start": p.t("from"),
        "end": p.t("to"),
        "substitute": p.t("substitute"),
        "reason": form_text("reason", p.lang),
    }


def _staff_for(p: Page, db: Session, everyone: bool = False) -> list[tuple[str, str]]:
    """(id, name) of the people this user may register absences for (`everyone`: all the staff,
    the choices for a substitute)."""
    try:
        config = config_service.newest(db)
    except ConfigError as exc:
        raise WebError(409, p.t("bad_config")) from exc
    if config is None:
        return []
    user = p.who
    return sorted(
        ((s.id, s.name) for s in config.staff if everyone or user.may_act_for(s.id)), key=lambda x: x[1]
    )


def _absence_form(
    p: Page,
    db: Session,
    values: dict[str, str],
    errors: dict[str | None, str] | None = None,
    status: int = 200,
    existing: int | None = None,
) -> Response:
    """The form, with what was typed and each message beside its field (None: the whole absence)."""
    staff = _staff_for(p, db)
    if not values.get("person") and len(staff) == 1:
        values["person"] = staff[0][1]  # staff register their own absence: their name is the one choice
    return p.render(
        "absence.html",
        status=status,
        title=p.t("absence_title"),
        staff=staff,
        substitutes=_staff_for(p, db, everyone=True),
        recent=absence_service.recent(db, p.who, 10),
        values=values,
        errors=errors or {},
        existing=existing,
        ft=lambda key: form_text(key, p.lang),
        span=span_text,
        names=dict(_staff_for(p, db, everyone=True)),
    )


@router.get("/absence")
def absence_page(p: User, db: Db, person: str | None = None, day: str | None = None) -> Response:
    """A link from a person's week (`person`, `day`) opens the form for that whole day."""
    names = dict(_staff_for(p, db, everyone=True))
    values = {
        "person": names.get(person or "", ""),
        "start": day if day and len(day) == 10 else "",
        "end": "",
    }
    return _absence_form(p, db, values)


FORM_LIMIT = 20_000
"""Characters a form field may carry at all; the absence's own limits (`absence_input.LIMITS`) are
far below and answered in Danish beside the field, with what was typed kept."""


@router.post("/absence")
def absence_register(
    p: Posted,
    db: Db,
    person: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
    start: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
    end: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
    reason: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
    substitute: Annotated[str, Form(max_length=FORM_LIMIT)] = "",
) -> Response:
    """Every refusal re-renders the form with the message beside its field and what was typed."""
    values = {"person": person, "start": start, "end": end, "reason": reason, "substitute": substitute}
    body = absence_service.AbsenceRequest(
        person=person, start=start, end=end or None, reason=reason or None, substitute=substitute or None
    )
    try:
        out = absence_service.register(db, p.who, p.state, body)
    except AbsenceInputError as exc:
        status = 409 if isinstance(exc, AbsenceConflict) else 422
        return _absence_form(p, db, values, exc.texts(p.lang, _labels(p)), status)
    except Refused as exc:  # e.g. a substitute without the role, or staff naming a colleague
        return _absence_form(p, db, values, {exc.field: exc.detail}, status_of(exc))
    if not out.created:
        note = out.note.text(p.lang, _labels(p)) if out.note else ""
        return _absence_form(p, db, values, {None: note}, 200, existing=out.id)
    query = f"?overlaps={','.join(str(i) for i in out.overlaps)}" if out.overlaps else ""
    return p.redirect(f"/absence/{out.id}{query}")


def _unit_of(uid: str, plans: list[Plan], config: MunicipalityConfig) -> str | None:
    for plan in plans:
        meeting: Meeting | None = next((m for m in plan.meetings if m.uid == uid), None)
        if meeting is not None:
            return meeting.unit
    return None


def _absence_context(p: Page, db: Session, absence_id: int) -> dict[str, Any]:
    user = p.who
    out = absence_service.read(db, user, absence_id)
    current: Current | None = current_plan(p, db, out.plan_id) if out.plan_id else current_plan(p, db, None)
    acceptable: dict[int, bool] = {}
    if current is not None:
        for proposal in out.proposals:
            units = {_unit_of(c.uid, [current.plan], current.config) for c in proposal.changes}
            acceptable[proposal.id] = p.is_leader and all(
                u is not None and user.may_change_unit(current.config, u) for u in units
            )
    span = span_text(out.start, out.end)
    return {"absence": out, "current": current, "acceptable": acceptable, "absence_span": span}


@router.get("/absence/{absence_id}")
def absence_view(p: User, db: Db, absence_id: Id, overlaps: str = "") -> Response:
    """`overlaps`: the registered absences a new one met (only its new part was registered)."""
    ids = [int(i) for i in overlaps.split(",")[:10] if i.isdigit() and len(i) <= 9]
    note = absence_service.overlap_note(db, p.who, absence_id, ids) if ids else None
    return p.render(
        "proposals.html",
        title=p.t("proposals"),
        note=note.text(p.lang, _labels(p)) if note else None,
        **_absence_context(p, db, absence_id),
    )


@router.post("/absence/{absence_id}/accept/{proposal_id}")
def absence_accept(p: Posted, db: Db, absence_id: Id, proposal_id: Id, version: FormVersion) -> Response:
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    change = absence_service.accept(db, p.who, p.state, absence_id, proposal_id, version)
    context = _absence_context(p, db, absence_id)
    return p.render("proposals.html", title=p.t("proposals"), change=change, **context)


# --------------------------------------------------------------------------- publish


def _links(p: Page, db: Session, current: Current) -> list[tuple[str, str, FeedLink]]:
    """(kind, name, FeedLink) for every feed this user may hand out, by the API's rule."""
    readers = {
        FeedKind.person: [(s.id, s.name) for s in current.config.staff],
        FeedKind.unit: [(u.id, u.name) for u in current.config.units],
        FeedKind.district: [(d.id, d.name) for d in current.config.districts],
    }
    issued = calendar_service.links(db, p.who, p.state, readers)
    return [(kind.value, name, link) for kind, name, link in issued]


def _recipient_name(p: Page, current: Current) -> Callable[[str], str]:
    """Who a message goes to, in words: a person's name, or the service mailbox that holds
    Exchange items without a chair (its ledger id is no word for a leader)."""
    return lambda pid: p.t("service_mailbox") if pid == SERVICE_RECIPIENT else current.person(pid)


@router.get("/publish")
def publish_page(p: LeaderPage, db: Db, plan: str | None = None) -> Response:
    current = current_plan(p, db, plan_param(plan))
    if current is None:
        return p.render("empty.html", title=p.t("publish_title"))
    messages: dict[str, list[Any]] = {}
    fingerprint = ""
    problem = None
    try:
        secrets = storage.absence_reasons(db)
        messages, fingerprint = shown(current.config, current.plan, p.state.calendar, confidential=secrets)
    except Exception as exc:  # a plan that cannot be sent: say why, still show the links
        problem = str(exc)
    recipient = _recipient_name(p, current)
    people = sorted(messages, key=recipient)
    return p.render(
        "publish.html",
        recipient=recipient,
        title=p.t("publish_title"),
        current=current,
        messages=messages,
        people=people,
        why={pid: reasons(messages[pid]) for pid in people},
        total=sum(len(v) for v in messages.values()),
        fingerprint=fingerprint,
        problem=problem,
        links=_links(p, db, current),
        result=None,
        delivery=_delivery(p, db, current),
    )


def _delivery(p: Page, db: Session, current: Current) -> plan_service.DeliveryOut | None:
    """How far the version's publication got (None if it was never published)."""
    if current.row.published_at is None:
        return None
    return plan_service.delivery(db, p.who, p.state, current.row.id)


@router.post("/publish")
def publish_now(
    p: Posted,
    db: Db,
    plan: FormId,
    expected: Annotated[int, Form(ge=0, le=10_000_000)],
    shown: Annotated[str, Form(pattern=r"^[0-9a-f]{64}$")],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Publish exactly what the page showed: its count and fingerprint go with the form, and the
    publish is refused (409, naming the new count) if it would now send anything else."""
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    body = plan_service.PublishRequest(reason=reason, expected_messages=expected, expected_preview=shown)
    result = plan_service.publish(db, p.who, p.state, plan, body)
    current = current_plan(p, db, result.plan_version_id)  # a draft laid on the live plan: the merge
    assert current is not None
    return p.render(
        "publish.html",
        recipient=_recipient_name(p, current),
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
