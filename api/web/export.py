"""The semester plan as an Excel workbook, per district and per person: the format municipal staff
already pass around.

One row per meeting in time order, with real date and time cells (so Excel sorts and filters
them) and the words of the page's language. The texts pass the calendars' privacy guard
(`calendar_sync.privacy.PrivacyGuard`, with the absence reasons of the database) before a file
is made: what may not go into an invitation does not go into a spreadsheet either. Who may fetch
what is the pages' rule: a district leader their own districts, staff themselves.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from api import storage
from api.auth import Role
from api.deps import Db
from api.services import plans as plan_service
from api.web import i18n
from api.web.common import Current, Page, User, WebError, current_plan, plan_param
from calendar_sync.privacy import PrivacyError, PrivacyGuard
from scheduler.model import Meeting
from scheduler.term_dates import TZ

router = APIRouter(include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [
    ("xlsx_date", 12),
    ("xlsx_weekday", 10),
    ("week", 6),
    ("xlsx_start", 7),
    ("xlsx_end", 7),
    ("xlsx_title", 46),
    ("xlsx_place", 30),
    ("xlsx_room", 12),
    ("xlsx_participants", 80),
]
"""(text key of the column's heading, width in characters)"""

Slug = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


def participants(current: Current, meeting: Meeting) -> str:
    """Names of the staff at the meeting, then the guests' labels ('familien'): never an id."""
    names = [current.person(a.person) for a in meeting.attendees]
    return "; ".join([*names, *(g.name for g in meeting.guests)])


def room_name(current: Current, meeting: Meeting) -> str:
    site = current.index.sites.get(meeting.site)
    if site is None or meeting.room is None:
        return ""
    return next((r.name for r in site.room_list if r.id == meeting.room), "")


def workbook(p: Page, current: Current, meetings: list[Meeting], guard: PrivacyGuard, heading: str) -> bytes:
    """The meetings as one sheet (header, one row each, frozen header, filter), and a second
    sheet saying which plan version it is."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = p.t("xlsx_sheet")
    sheet.append([p.t(key) for key, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="12355B")
    weekdays = i18n.WEEKDAYS[p.lang]
    for m in sorted(meetings, key=lambda m: (m.start, m.title)):
        start, end = m.start.astimezone(TZ), m.end.astimezone(TZ)
        texts = [m.title, current.site(m.site), room_name(current, m), participants(current, m)]
        for field, text in zip(("title", "place", "room", "participants"), texts, strict=True):
            guard.check_text(m.uid, field, text)
        sheet.append(
            [
                start.date(),
                weekdays[start.weekday()],
                start.isocalendar().week,
                start.time(),
                end.time(),
                *texts,
            ]
        )
        row = sheet.max_row
        sheet.cell(row, 1).number_format = "dd-mm-yyyy"
        sheet.cell(row, 4).number_format = "hh:mm"
        sheet.cell(row, 5).number_format = "hh:mm"
        sheet.cell(row, 9).alignment = Alignment(wrap_text=True, vertical="top")
    for i, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{sheet.max_row}"
    about = book.create_sheet(p.t("xlsx_about"))
    for label, value in [
        (p.t("xlsx_what"), heading),
        (p.t("term"), current.term_name),
        (p.t("plan_version"), f"{current.row.id} ({p.t('state_' + str(current.row.state))})"),
        (p.t("xlsx_count"), str(len(meetings))),
        (p.t("xlsx_made"), i18n.long_date(datetime.now(TZ), p.lang)),
    ]:
        about.append([label, value])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 60
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _answer(p: Page, db: Db, current: Current, meetings: list[Meeting], heading: str, name: str) -> Response:
    guard = PrivacyGuard.for_config(current.config, also=storage.absence_reasons(db))
    try:
        body = workbook(p, current, meetings, guard, heading)
    except PrivacyError as exc:
        raise WebError(409, f"{p.t('export_refused')} {exc.message}") from exc
    filename = f"moedeplan-{current.row.term}-{name}.xlsx"
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    return p.finish(Response(body, media_type=XLSX, headers={"Content-Disposition": disposition}))


def _current(p: Page, db: Db, plan: str | None) -> Current:
    current = current_plan(p, db, plan_param(plan))
    if current is None:
        raise WebError(404, p.t("no_plan"))
    return current


@router.get("/export/district/{district_id}.xlsx")
def district_export(p: User, db: Db, district_id: Slug, plan: str | None = None) -> Response:
    """The meetings a district takes part in (as its overview shows them): admins any district,
    a district leader their own."""
    assert p.user is not None
    if p.user.role == Role.distriktsleder:
        allowed = district_id in p.user.districts
    else:
        allowed = p.user.role == Role.admin
    if not allowed:
        raise WebError(403, p.t("forbidden"))
    current = _current(p, db, plan)
    if district_id not in current.index.districts:
        raise WebError(404, f"{p.t('district')} «{district_id}»: {p.t('not_found')}")
    meetings = plan_service.filtered(current.config, current.plan, district_id, None, None)
    heading = f"{p.t('district')} {current.district(district_id)}"
    return _answer(p, db, current, meetings, heading, district_id)


@router.get("/export/person/{person_id}.xlsx")
def person_export(p: User, db: Db, person_id: Slug, plan: str | None = None) -> Response:
    """A person's meetings, as their weeks page shows them: staff only their own, leaders anyone."""
    assert p.user is not None
    if p.user.role == Role.staff:
        if person_id != p.user.person:
            raise WebError(403, p.t("forbidden"))
    elif not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    current = _current(p, db, plan)
    if person_id not in current.index.people:
        raise WebError(404, f"{p.t('person')} «{person_id}»: {p.t('not_found')}")
    meetings = plan_service.filtered(current.config, current.plan, None, None, person_id)
    return _answer(p, db, current, meetings, current.person(person_id), person_id)
