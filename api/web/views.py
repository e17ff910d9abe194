"""Looking at a plan: the semester overview, a person's weeks, one meeting (lock, move, why), the load,
and the drafts (open, compare with the live plan, discard).

Every page shows the term's live plan unless a leader opens another version (`?plan=`), and says
which one it shows (`_plan_state.html`). Changes go through the API's own services
(`api.services.plans.lock`, `unlock`, `move`, `discard`), so the checks are the API's: district,
a version still open for change, every rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Response

from api import storage
from api.auth import Role
from api.deps import Db, Id
from api.orm import PlanState, PlanVersion
from api.services import plans as plan_service
from api.web import charts, i18n
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
from scheduler.deviation import deviations
from scheduler.index import index_of
from scheduler.model import HELLIGDAGE, SERIES_TYPE_DA, Meeting, SeriesType
from scheduler.term_dates import TZ, closed_days, week_monday

router = APIRouter(include_in_schema=False)


@dataclass
class WeekRow:
    monday: date
    number: int
    closed: list[tuple[date, str]]
    cells: dict[str, list[Meeting]]

    @property
    def all_closed(self) -> bool:
        return len(self.closed) >= 5

    @property
    def closed_weekdays(self) -> set[int]:
        return {day.weekday() for day, _ in self.closed}

    def day(self, weekday: int) -> date:
        return self.monday + timedelta(days=weekday)

    def closed_name(self, weekday: int) -> str | None:
        """The name of the holiday closing this weekday (None: an open day)."""
        day = self.day(weekday)
        return next((name for d, name in self.closed if d == day), None)


def week_rows(current: Current, meetings: list[Meeting], key: str) -> list[WeekRow]:
    """The term's weeks, with closed weekdays and the meetings of each column (`key`: unit or weekday)."""
    config, plan = current.config, current.plan
    term = index_of(config).terms.get(plan.term)
    if term is None:
        return []
    closed = closed_days(config, term)
    first, last = week_monday(term.start), week_monday(term.end)
    rows = []
    for i in range((last - first).days // 7 + 1):
        monday = first + timedelta(days=7 * i)
        days = [monday + timedelta(days=d) for d in range(5)]
        rows.append(
            WeekRow(monday, monday.isocalendar().week, [(d, closed[d]) for d in days if d in closed], {})
        )
    by_monday = {r.monday: r for r in rows}
    for m in sorted(meetings, key=lambda m: m.start):
        row = by_monday.get(week_monday(m.start.astimezone(TZ).date()))
        if row is None:
            continue
        column = m.unit if key == "unit" else str(m.start.astimezone(TZ).weekday())
        row.cells.setdefault(column, []).append(m)
    return rows


def _locked(db: Db, current: Current) -> set[str]:
    return storage.locked_uids(db, current.row.term)


@router.get("/")
def home(p: Pg) -> Response:
    if p.user is None:
        return p.redirect("/login")
    if p.user.role == Role.staff:
        return p.redirect(f"/person?id={p.user.person or ''}")
    if p.user.role == Role.service:
        return p.redirect("/absence")
    return p.redirect("/overview")


@dataclass
class Legend:
    """What the overview's colours and marks mean: one entry per meeting type shown, and the
    closed days (public holidays, school holidays) of the term."""

    types: list[tuple[str, str]]
    """(type key, its name) of the meeting types on the page, in the config's order"""
    public_holidays: set[date]


def meeting_kind(current: Current, meeting: Meeting) -> str:
    """The meeting's type (a `SeriesType` value): it picks the chip's colour in the overview."""
    series = current.index.series.get(meeting.series)
    if series is not None:
        return str(series.type.value)
    return "familiemoede" if meeting.guests else "opfoelgning"


def short_title(current: Current, meeting: Meeting) -> str:
    """The title without its type's name where the chip's colour already says it (the legend
    names it): "Baltorpskolen" for "Koordineringskonference, skole, Baltorpskolen"."""
    series = current.index.series.get(meeting.series)
    if series is None:
        return meeting.title
    prefix = SERIES_TYPE_DA[series.type]
    rest = meeting.title.removeprefix(prefix).lstrip(",: ")
    return rest if meeting.title.startswith(prefix) and rest else meeting.title


def legend_of(current: Current, meetings: list[Meeting]) -> Legend:
    shown = {meeting_kind(current, m) for m in meetings}
    types: list[tuple[str, str]] = [(t.value, SERIES_TYPE_DA[t]) for t in SeriesType if t.value in shown]
    term = current.index.terms.get(current.plan.term)
    public = set(closed_days(current.config, term, [HELLIGDAGE])) if term is not None else set()
    return Legend(types, public)


@router.get("/overview")
def overview(
    p: LeaderPage,
    db: Db,
    plan: str | None = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The term at a glance: one row per week, a column per weekday, a chip per meeting (its time
    and title, coloured by type), the closed days marked; a district shows the meetings it takes
    part in (`scheduler.config.meeting_districts`)."""
    current = current_plan(p, db, plan_param(plan))
    if current is None:
        return p.render("empty.html", title=p.t("overview_title"))
    assert p.user is not None
    districts = current.config.districts
    if district is None and p.user.role == Role.distriktsleder:
        district = next((d.id for d in districts if d.id in p.user.districts), "")
    if district and district not in current.index.districts:
        raise WebError(404, f"{p.t('district')} «{district}»: {p.t('not_found')}")
    meetings = plan_service.filtered(current.config, current.plan, district or None, None, None)
    return p.render(
        "overview.html",
        title=p.t("overview_title"),
        current=current,
        district=district or "",
        rows=week_rows(current, meetings, "weekday"),
        weekdays=i18n.WEEKDAYS[p.lang][:5],
        kind={m.uid: meeting_kind(current, m) for m in meetings},
        short={m.uid: short_title(current, m) for m in meetings},
        legend=legend_of(current, meetings),
        count=len(meetings),
        dense=not district,  # every district's meetings: titles without their type, in full on hover
        locked=_locked(db, current),
    )


@router.get("/person")
def person_view(
    p: User, db: Db, plan: str | None = None, id: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    assert p.user is not None
    if p.user.role == Role.staff:
        if id and id != p.user.person:
            raise WebError(403, p.t("forbidden"))
        id = p.user.person
    elif not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    current = current_plan(p, db, plan_param(plan))
    if current is None:
        return p.render("empty.html", title=p.t("person_title"))
    staff = sorted(current.config.staff, key=lambda s: s.name)
    if not id:  # the signed-in person, else the first staff member
        mine = p.user.person
        id = mine if mine in current.index.people else staff[0].id
    if id not in current.index.people:
        raise WebError(404, p.t("not_found"))
    meetings = plan_service.filtered(current.config, current.plan, None, None, id)
    hours = sum((m.end - m.start).total_seconds() for m in meetings) / 3600
    unit_districts = {u.id: u.districts for u in current.index.units.values()}
    return p.render(
        "person.html",
        title=f"{p.t('person_title')}: {current.person(id)}",
        current=current,
        person=id,
        staff=staff,
        rows=week_rows(current, meetings, "weekday"),
        weekdays=i18n.WEEKDAYS[p.lang][:5],
        locked=_locked(db, current),
        count=len(meetings),
        hours=hours,
        unit_districts=unit_districts,
    )


def _meeting(p: LeaderPage, db: Db, plan: str | None, uid: str) -> tuple[Current, Meeting]:
    current = current_plan(p, db, plan_param(plan))
    if current is None:
        raise WebError(404, p.t("no_plan"))
    meeting = next((m for m in current.plan.meetings if m.uid == uid), None)
    if meeting is None:
        raise WebError(404, p.t("not_found"))
    return current, meeting


@router.get("/meeting/{uid}")
def meeting_view(
    p: LeaderPage,
    db: Db,
    uid: str,
    plan: str | None = None,
    why: str | None = None,
    done: str | None = None,
) -> Response:
    current, meeting = _meeting(p, db, plan, uid)
    assert p.user is not None
    lock = storage.get_lock(db, current.row.term, uid)
    unit = current.index.units[meeting.unit]
    site = current.index.sites.get(meeting.site)
    reasons = _why(current, uid) if why else None
    return p.render(
        "meeting.html",
        deviation=_deviation(current, meeting),
        title=meeting.title,
        current=current,
        meeting=meeting,
        unit=unit,
        site=site,
        lock=lock,
        may_change=p.user.may_change_unit(current.config, meeting.unit),
        reasons=reasons,
        done=done if done in ("locked_ok", "unlocked_ok", "moved_ok") else None,
        start_local=meeting.start.astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
    )


def _deviation(current: Current, meeting: Meeting) -> str | None:
    """How the meeting differs from its series' usual rhythm, as the summary says it (None: it keeps it)."""
    series = current.index.series.get(meeting.series)
    term = current.index.terms.get(current.plan.term)
    if series is None or term is None:
        return None  # a one-off meeting (Familiemøde) has no rhythm
    same = [m for m in current.plan.meetings if m.series == meeting.series]
    found = deviations(current.config, term, series, same)
    return next((d.text_da for d in found if d.meeting.uid == meeting.uid), None)


def _why(current: Current, uid: str) -> list[str]:
    from scheduler.explain import why_meeting

    return why_meeting(current.config, current.plan, uid)


@router.get("/meeting/{uid}/why")
def meeting_why(p: LeaderPage, db: Db, uid: str, plan: str | None = None) -> Response:
    """The "hvorfor her?" list as a fragment, fetched when asked (it tries every other time)."""
    current, _ = _meeting(p, db, plan, uid)
    return p.render("why.html", reasons=_why(current, uid))


@router.post("/meeting/{uid}/lock")
def meeting_lock(
    p: Posted,
    db: Db,
    uid: str,
    plan: FormId,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    plan_service.lock(db, p.who, plan, uid, plan_service.LockRequest(reason=reason))
    return p.redirect(f"/meeting/{uid}?plan={plan}&done=locked_ok")


@router.post("/meeting/{uid}/unlock")
def meeting_unlock(p: Posted, db: Db, uid: str, plan: FormId, version: FormVersion) -> Response:
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    plan_service.unlock(db, p.who, plan, uid, version, "")
    return p.redirect(f"/meeting/{uid}?plan={plan}&done=unlocked_ok")


@router.post("/meeting/{uid}/move")
def meeting_move(
    p: Posted,
    db: Db,
    uid: str,
    plan: FormId,
    version: FormVersion,
    start: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    try:
        when = datetime.fromisoformat(start)
    except ValueError as exc:
        raise WebError(422, f"{p.t('move_to')}: {start!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=TZ)
    body = plan_service.MoveRequest(start=when, reason=reason)
    change = plan_service.move(db, p.who, p.state, plan, uid, body, version)
    return p.redirect(f"/meeting/{uid}?plan={change.plan.id}&done=moved_ok")


@router.get("/load")
def load_view(p: LeaderPage, db: Db, plan: str | None = None) -> Response:
    current = current_plan(p, db, plan_param(plan))
    if current is None:
        return p.render("empty.html", title=p.t("load_title"))
    load = charts.compute_load(current.config, current.plan)
    people = {pid: current.person(pid) for pid in load.people}
    districts = {d.id: d.name for d in current.index.districts.values()}
    words = {
        "unit": p.t("hours_short"),
        "week": p.t("week"),
        "hours": p.t("load_axis_hours"),
        "total": p.t("total"),
    }
    people_svg = charts.people_chart(
        load,
        people,
        charts.Labels(
            p.t("load_per_person"), p.t("load_help"), busy=p.t("busy_limit"), over=p.t("load_over"), **words
        ),
    )
    districts_svg = charts.districts_chart(
        load, districts, charts.Labels(p.t("load_per_district"), p.t("load_district_help"), **words)
    )
    return p.render(
        "load.html",
        title=p.t("load_title"),
        current=current,
        load=load,
        people=people,
        districts=districts,
        people_svg=people_svg,
        districts_svg=districts_svg,
    )


# --------------------------------------------------------------------------- drafts


@dataclass
class DraftRow:
    row: PlanVersion
    live: int | None
    changed: int | None
    """meetings changed against the term's live plan (None: the term has none)"""


def _drafts(p: Page, db: Db) -> list[DraftRow]:
    rows = []
    for row in storage.plan_versions(db, limit=20, state=PlanState.draft):
        live = storage.live_plan_version(db, row.term)
        changed = len(plan_service.diff(db, p.who, row.id, live.id)) if live is not None else None
        rows.append(DraftRow(row, live.id if live is not None else None, changed))
    return rows


@router.get("/drafts")
def drafts_view(p: LeaderPage, db: Db, done: str | None = None) -> Response:
    """The drafts (plans not published), newest first: open, compare with the live plan, discard."""
    return p.render(
        "drafts.html",
        title=p.t("drafts_title"),
        drafts=_drafts(p, db),
        done=done if done == "discarded_ok" else None,
    )


@router.post("/drafts/{plan_id}/discard")
def draft_discard(p: Posted, db: Db, plan_id: Id) -> Response:
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    plan_service.discard(db, p.who, plan_id, plan_service.DiscardRequest())
    return p.redirect("/drafts?done=discarded_ok")
