"""What every page needs: the request's language and user, templates, role checks, errors as pages.

Role checks are the API's own (`Principal.may_change_unit`, `may_act_for`, the services of
`api.services`), so a page never allows what the API refuses: buttons are hidden for what the role
may not do, and the POST behind them is refused anyway. A service's refusal becomes an error page
with the status of `api.errors.STATUS_BY_ERROR` (see `api.web.install`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal, Role
from api.db import Conflict, StaleVersion
from api.deps import MAX_ID, AppState, State
from api.orm import PlanState, PlanVersion
from api.services.plans import changeable, load
from api.web import i18n, session
from scheduler.config import ConfigError
from scheduler.index import ConfigIndex, index_of
from scheduler.model import MunicipalityConfig, Plan
from scheduler.roles import KNOWN_ROLES

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
LEADERS = (Role.admin, Role.distriktsleder)
LOCK_ICON = Markup(
    '<svg class="icon" aria-hidden="true" focusable="false" viewBox="0 0 16 16">'
    '<path fill="currentColor" d="M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7h1zm2 0h4V5a2 2 0 0 0-4 0v2z"/></svg>'
)


class WebError(Exception):
    """Shown as a page with this status and (already translated) message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class SignInRequired(Exception):
    def __init__(self, next_url: str):
        super().__init__(next_url)
        self.next_url = next_url


@dataclass
class Page:
    """One request's view of the pages: language, browser session, user."""

    request: Request
    state: AppState
    lang: i18n.Lang
    web: session.WebSession
    user: Principal | None
    set_cookie: bool = False
    set_lang: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def t(self, key: str) -> str:
        return i18n.text(self.lang, key)

    @property
    def who(self) -> Principal:
        """The signed-in user, for the services (pages behind `User`, `Posted` or `LeaderPage`)."""
        if self.user is None:
            raise SignInRequired(self.request.url.path)
        return self.user

    @property
    def is_leader(self) -> bool:
        return self.user is not None and self.user.role in LEADERS

    def finish(self, response: Response) -> Response:
        """Set the cookies this request created (a new session, a chosen language)."""
        if self.set_cookie:
            session.store(response, self.request, self.state, self.web)
        if self.set_lang:
            response.set_cookie(session.LANG_COOKIE, self.lang, max_age=365 * 86400, samesite="lax", path="/")
        return response

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        context = {
            "page": self,
            "t": self.t,
            "lang": self.lang,
            "user": self.user,
            "csrf": self.web.csrf,
            "long_date": lambda d: i18n.long_date(d, self.lang),
            "short_date": lambda d: i18n.short_date(d, self.lang),
            "when": lambda a, b: i18n.when(a, b, self.lang),
            "clock": i18n.clock,
            "path": self.request.url.path,
            "lang_url": self.lang_url,
            "languages": [(code, i18n.CATALOGUES[code].name) for code in i18n.LANGS],
            "lock_icon": LOCK_ICON,
            "num": lambda v, decimals=1: i18n.number(v, self.lang, decimals),
            "pct": lambda v, decimals=0: i18n.percent(v, self.lang, decimals),
            "tn": lambda key, n: i18n.plural(self.lang, key, n),
            **values,
        }
        response = TEMPLATES.TemplateResponse(self.request, template, context, status_code=status)
        return self.finish(response)

    def redirect(self, url: str) -> Response:
        return self.finish(RedirectResponse(url, status_code=303))

    def lang_url(self, lang: str) -> str:
        query = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        query.append(("lang", lang))
        return self.request.url.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query)


def page(request: Request, state: State) -> Page:
    """The page context; a browser without a session gets one (for the CSRF token of sign-in)."""
    web = session.read(request, state)
    fresh = web is None
    if web is None:
        web = session.new_session()
    asked = request.query_params.get("lang")
    lang = i18n.pick_lang(asked or request.cookies.get(session.LANG_COOKIE))
    return Page(request, state, lang, web, session.principal_of(web, state), fresh, asked in i18n.LANGS)


Pg = Annotated[Page, Depends(page)]


def signed_in(p: Pg) -> Page:
    if p.user is None:
        target = p.request.url.path + (f"?{p.request.url.query}" if p.request.url.query else "")
        raise SignInRequired(target)
    return p


User = Annotated[Page, Depends(signed_in)]


def leader(p: User) -> Page:
    """Pages for admins and district leaders (what the API's `Leader` routes admit)."""
    if not p.is_leader:
        raise WebError(403, p.t("forbidden"))
    return p


LeaderPage = Annotated[Page, Depends(leader)]


async def checked(request: Request, p: User) -> Page:
    """A signed-in POST carrying this session's CSRF token (form field or htmx header)."""
    form = await request.form()
    sent = form.get(session.CSRF_FIELD) or request.headers.get(session.CSRF_HEADER)
    if not session.csrf_ok(p.web, sent if isinstance(sent, str) else None):
        raise WebError(403, p.t("csrf_failed"))
    return p


Posted = Annotated[Page, Depends(checked)]

# Ids in forms, bounded as the API's path ids (api.deps.Id): 2**64 is bad input, not a crash.
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
FormVersion = Annotated[int, Form(ge=0, le=MAX_ID)]


# --------------------------------------------------------------------------- plans and names


@dataclass
class Current:
    """The plan version a page shows, its config and names for ids, and the term's live plan."""

    row: PlanVersion
    plan: Plan
    config: MunicipalityConfig
    newest: bool
    """changes can be made on this version (the live plan, or a draft nobody changed yet)"""
    versions: list[PlanVersion]
    live: PlanVersion | None = None
    """the term's live plan (None: the term was never published)"""

    @property
    def is_live(self) -> bool:
        return self.row.state == PlanState.published

    @property
    def index(self) -> ConfigIndex:
        return index_of(self.config)

    @property
    def term_name(self) -> str:
        return self.index.term_name(self.row.term)

    def person(self, pid: str) -> str:
        return self.index.person_name(pid)

    def unit(self, uid: str) -> str:
        return self.index.unit_name(uid)

    def site(self, sid: str) -> str:
        return self.index.site_name(sid)

    def district(self, did: str) -> str:
        return self.index.district_name(did)

    def districts_of(self, unit_id: str) -> str:
        unit = self.index.units.get(unit_id)
        return ", ".join(self.district(d) for d in unit.districts) if unit else ""

    def role(self, role: str) -> str:
        return self.config.extra_roles.get(role) or KNOWN_ROLES.get(role, role)


def current_plan(p: Page, db: Session, plan_id: int | None) -> Current | None:
    """The plan version a leader chose, else the plan of the newest term: its live plan, never a
    newer draft (a term never published: its newest draft). Staff always see the live plan.
    None when nothing was planned yet."""
    versions = storage.plan_versions(db, limit=30)
    if not versions:
        return None
    if plan_id is None or not p.is_leader:
        working = storage.working_plan_version(db, versions[0].term)
        plan_id = working.id if working is not None else versions[0].id
    try:
        row, plan, config = load(db, plan_id)
    except storage.NotFound as exc:
        raise WebError(404, p.t("not_found")) from exc
    except ConfigError as exc:  # a config stored before today's checks, no longer valid
        raise WebError(409, p.t("bad_config")) from exc
    try:
        changeable(db, row)
        open_for_change = True
    except (StaleVersion, Conflict):
        open_for_change = False
    live = storage.live_plan_version(db, row.term)
    return Current(row, plan, config, open_for_change, versions, live)


def plan_param(value: str | None) -> int | None:
    """A plan id from the query string; anything else is ignored (the term's plan is shown)."""
    if value and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


def error_page(request: Request, status: int, message: str) -> Response:
    p = page(request, request.app.state.moedeplan)
    return p.render("error.html", status=status, message=message)


def html(text: str) -> HTMLResponse:
    return HTMLResponse(text)
