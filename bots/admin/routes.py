"""Dashboard pages: sign-in, overview, responses (drill-down), cases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bots.admin import auth, charts, i18n, report_words
from bots.admin.i18n import DAYS, LANGUAGES, translator
from bots.api import small_groups
from bots.api.deps import MAX_PAGE, ContainerDep, Role, existing_id, no_such
from bots.api.report_params import parse_view
from bots.api.routes.export import csv_response
from bots.api.routes.invitations import recent as recent_invitations
from bots.container import Container
from bots.reporting import report_service
from bots.throttle import Guard
from scoring import auth_state
from scoring.cases import CaseStatus
from scoring.rehearsals import purge_test_answers
from scoring.reports.csv_format import CsvFormat, ExportView, Separator, separator_for_locale
from scoring.reports.definitions import band_of, definition
from scoring.reports.figures import FUNNEL_STEPS, Score
from scoring.reports.filters import Dimension, Rehearsals
from scoring.reports.params import FILTER_PARAMS, METRICS, View
from scoring.reports.responses import ResponseRow
from scoring.tables import InvitationStatus

report_words.install()
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/admin", include_in_schema=False)

LANG_COOKIE = "surveybot_lang"
BUCKETS = (Dimension.DAY, Dimension.WEEK, Dimension.MONTH, Dimension.DOW)
BREAKDOWNS = (
    Dimension.AGENT,
    Dimension.TEAM,
    Dimension.CHANNEL,
    Dimension.QUEUE,
    Dimension.FLOW,
    Dimension.JOURNEY_STAGE,
    Dimension.LOCALE,
    Dimension.TAG,
    Dimension.FLOW_VERSION,
)
# The dashboard filter name for each breakdown, so a row links to its own responses.
DRILL_PARAM = {d: "flow" if d is Dimension.FLOW else d.value for d in BREAKDOWNS}


class Page:
    """What every page needs: who is signed in, in which language, and the query string."""

    def __init__(self, request: Request, container: Container, role: Role, cookie: str) -> None:
        self.request = request
        self.container = container
        self.role = role
        self.csrf = auth.csrf_token(container.settings, cookie)
        asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        self.lang = asked if asked in LANGUAGES else container.settings.default_locale
        self.t = translator(self.lang)

    def params(self) -> dict[str, list[str]]:
        """The filter query parameters, repeated ones kept, empty ones dropped."""
        q = self.request.query_params
        return {k: [v for v in q.getlist(k) if v] for k in FILTER_PARAMS if any(q.getlist(k))}

    def chosen(self, name: str) -> list[str]:
        """The values picked for one filter (a filter may repeat: channel=sms&channel=voice)."""
        return [v for v in self.request.query_params.getlist(name) if v]

    @property
    def test(self) -> str:
        asked = self.request.query_params.get("test")
        return asked if asked in set(Rehearsals) else Rehearsals.EXCLUDE.value

    def num(self, value: float | None, digits: int = 1) -> str:
        """A figure with the language's decimal sign."""
        return i18n.number(value, digits, self.lang)

    @property
    def decimal(self) -> str:
        return "," if self.lang == "nl" else "."

    def qs(self, path: str, **changes: str | None) -> str:
        """A link to `path` with the current filters, some changed (None removes one)."""
        q = self.request.query_params
        values: dict[str, list[str]] = {k: q.getlist(k) for k in q}
        values.pop("page", None)
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = [value]
        return path + ("?" + urlencode(values, doseq=True) if values else "")

    def render(self, name: str, **context: Any) -> Response:
        response = templates.TemplateResponse(
            self.request,
            name,
            {"p": self, "t": self.t, "lang": self.lang, "role": self.role.value, **context},
        )
        if self.request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(
                LANG_COOKIE, self.lang, max_age=365 * 86400, samesite="strict", httponly=True
            )
        return response

    def local(self, moment: datetime | None) -> str:
        """A time as people here read it: in the report time zone, in the page's language."""
        if moment is None:
            return ""
        return i18n.moment(moment.astimezone(metrics_tz(self.container)), self.lang)

    @property
    def tz_label(self) -> str:
        """The report time zone and its current offset, e.g. 'Europe/Amsterdam (UTC+01:00)'."""
        tz = metrics_tz(self.container)
        offset = datetime.now(UTC).astimezone(tz).strftime("%z")
        return f"{tz.key} (UTC{offset[:3]}:{offset[3:]})"


def metrics_tz(container: Container) -> Any:
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    return ZoneInfo(container.settings.report_timezone)


async def signed_in(request: Request, container: Container) -> Page | None:
    """The page of a live session; None when the cookie is missing, forged, stale or signed out."""
    cookie = request.cookies.get(auth.COOKIE)
    role = auth.verify(container.settings, cookie)
    if role is None or cookie is None:
        return None
    alive = await container.db.run(
        auth_state.session_alive,
        container.db.engine,
        auth.session_hash(cookie),
        role.value,
        datetime.now(UTC),
    )
    return Page(request, container, role, cookie) if alive else None


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(
        "/admin/login?" + urlencode({"next": target}), status.HTTP_303_SEE_OTHER
    )


def _safe_next(target: str | None) -> str:
    # Only paths inside the dashboard: never an open redirect to another site.
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin"


# -- sign-in ----------------------------------------------------------------------------------


@router.get("/login")
async def login_form(request: Request, container: ContainerDep) -> Response:
    """The sign-in form."""
    asked = request.query_params.get("lang")
    lang = asked if asked in LANGUAGES else container.settings.default_locale
    return templates.TemplateResponse(
        request,
        "login.html",
        {"t": translator(lang), "lang": lang, "next": request.query_params.get("next", "")},
    )


@router.post("/login")
async def login(
    request: Request,
    container: ContainerDep,
    token: Annotated[str, Form(max_length=512)],
    next_: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the token and start a session cookie (429 after too many wrong tokens)."""
    settings = container.settings
    lang = request.cookies.get(LANG_COOKIE) or settings.default_locale
    guard = Guard(container, request)
    wait = await guard.blocked()
    role = None if wait else auth.role_for_token(settings, token.strip())
    if role is None:
        if not wait:
            await guard.failed()
        return templates.TemplateResponse(
            request,
            "login.html",
            {
                "t": translator(lang),
                "lang": lang,
                "next": next_,
                "error": "wait" if wait else "token",
            },
            status_code=status.HTTP_429_TOO_MANY_REQUESTS if wait else status.HTTP_401_UNAUTHORIZED,
            headers={"Retry-After": str(wait)} if wait else None,
        )
    cookie = auth.issue(settings, role)
    now = datetime.now(UTC)
    await container.db.run(
        auth_state.open_session,
        container.db.engine,
        auth.session_hash(cookie),
        role.value,
        now,
        datetime.fromtimestamp(auth.expires_at(cookie), UTC),
    )
    response = RedirectResponse(_safe_next(next_), status.HTTP_303_SEE_OTHER)
    secure = settings.env == "production" or (settings.public_url or "").startswith("https:")
    response.set_cookie(
        auth.COOKIE,
        cookie,
        max_age=auth.SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/admin",
    )
    return response


@router.post("/logout")
async def logout(
    request: Request, container: ContainerDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    """End the session."""
    cookie = request.cookies.get(auth.COOKIE)
    if not auth.csrf_ok(container.settings, cookie, csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid CSRF token")
    assert cookie is not None  # noqa: S101  (csrf_ok refuses a missing cookie)
    if auth.verify(container.settings, cookie) is not None:
        # Revoked in the database: a copy of the cookie stops working on every instance too.
        await container.db.run(
            auth_state.end_session, container.db.engine, auth.session_hash(cookie)
        )
    response = RedirectResponse("/admin/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(auth.COOKIE, path="/admin")
    return response


@router.get("/static/admin.css")
async def stylesheet() -> FileResponse:
    """The dashboard's stylesheet."""
    return FileResponse(HERE / "static" / "admin.css", media_type="text/css")


@router.get("/export.csv")
async def export_csv(request: Request, container: ContainerDep) -> Response:
    """The dashboard's CSV links: the API export, authorised by the session cookie."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    q = request.query_params
    what = ExportView(q.get("view", "responses")) if q.get("view") in set(ExportView) else None
    view = what or ExportView.RESPONSES
    extra = {"metric": q.get("metric") or None, "group_by": q.get("group_by") or None}
    v = _view(page, **extra)
    if view is ExportView.RESPONSES:
        await small_groups.guard(container, page.role, v)
    # The Dutch dashboard hands out the file Dutch Excel opens as columns; `sep` overrides.
    asked = q.get("sep")
    sep = Separator(asked) if asked in set(Separator) else separator_for_locale(page.lang)
    return csv_response(container, v, view, CsvFormat(sep, v.config.timezone))


# -- overview ---------------------------------------------------------------------------------


def _view(page: Page, **extra: Any) -> View:
    params: dict[str, Any] = dict(page.params())
    params.update(extra)
    return parse_view(page.container, params)


def _scale(container: Container, metric: str, flows: tuple[str, ...]) -> tuple[int, int]:
    chosen = [f for f in container.flows.values() if f.metric == metric]
    if flows:
        chosen = [f for f in chosen if f.id in flows] or chosen
    if not chosen:
        return definition(metric).scale
    return min(f.scale.min for f in chosen), max(f.scale.max for f in chosen)


def overview_data(page: Page, metric: str, bucket: Dimension, by: Dimension) -> dict[str, Any]:
    container = page.container
    # pool=true counts every flow of the metric in one figure, and the cards say so.
    v = _view(page, metric=metric, pool=page.request.query_params.get("pool") or None)
    reports = report_service(container)
    shown = reports.overview_page(v, metric, bucket, by, page.lang)
    found, effects, bias = shown.overview, shown.effects, shown.bias
    open_cases = container.cases.count_open()
    return {
        "v": v,
        "cards": found.cards,
        "trend": found.trend,
        "groups": found.groups,
        "funnel": found.funnel,
        "not_sent": found.not_sent,
        "comments": found.comments,
        "options": found.options,
        "open_cases": open_cases,
        "pooling": found.pooling,
        "flags": found.flags,
        "league": found.league,
        "effects": effects,
        "bias": bias,
    }


def _trend_label(page: Page, key: str | None, bucket: Dimension) -> str:
    if key is None:
        return "-"
    if bucket is Dimension.DOW:
        return DAYS[page.lang][int(key) - 1]
    day = date.fromisoformat(key[:10])
    if bucket is Dimension.MONTH:
        return i18n.month_label(day, page.lang)
    return i18n.day_label(day, page.lang)  # the year is in the filter


def _worst_first(groups: list[Score]) -> list[Score]:
    return sorted(groups, key=lambda g: (g.score is None, g.score or 0.0, -g.n))


@router.get("")
async def overview(request: Request, container: ContainerDep) -> Response:
    """The overview: scores with margins, trend, distribution, breakdown, funnel, comments."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    q = request.query_params
    flows = tuple(q.getlist("flow"))
    default_metric = (
        container.flows[flows[0]].metric.value if flows and flows[0] in container.flows else "nps"
    )
    metric = q.get("metric") or default_metric
    if metric not in METRICS:
        metric = "nps"
    bucket = _dimension(q.get("bucket"), BUCKETS, Dimension.WEEK)
    by = _dimension(q.get("by"), BREAKDOWNS, Dimension.AGENT)
    data = await container.db.report(overview_data, page, metric, bucket, by)
    scale = _scale(container, metric, flows)
    overall: Score = data["cards"][metric]
    points = [
        charts.TrendPoint(
            _trend_label(page, s.key, bucket),
            s.score,
            s.margin,
            s.n,
            low=s.interval[0] if s.interval else None,
            high=s.interval[1] if s.interval else None,
            flag=_direction(data["flags"].trend.get(s.key)),
        )
        for s in data["trend"]
    ]
    lo, hi = scale
    # Bars run worst to best; an effort question's bars carry the answers as given (7 .. 1).
    as_given = _lower_is_better(container, data["pooling"][metric].flows)
    dist = (
        [
            (
                str(lo + hi - value if as_given else value),
                overall.distribution.get(value, 0),
                charts.value_colour(metric, value, lo, hi),
            )
            for value in range(lo, hi + 1)
        ]
        if not overall.hidden and overall.n
        else []
    )
    f = data["funnel"]
    funnel_steps = [(page.t[s], getattr(f, s)) for s in FUNNEL_STEPS]
    never = [
        (page.t["never_sent"].format(what=page.t.get(state, state).lower()), count)
        for state, count in sorted(f.not_sent.items())
    ]
    funnel_steps[1:1] = never
    y_lo, y_hi = definition(metric).score_range(*scale)
    return page.render(
        "overview.html",
        metric=metric,
        bucket=bucket.value,
        by=by.value,
        buckets=[b.value for b in BUCKETS],
        breakdowns=[b.value for b in BREAKDOWNS],
        drill_param=DRILL_PARAM[by],
        flows=sorted(container.flows),
        trend_svg=charts.trend(points, y_lo, y_hi, title=page.t["trend"], decimal=page.decimal),
        # The same trend drawn for a phone: scaled down, the wide one's labels are unreadable.
        trend_narrow_svg=charts.trend(
            points,
            y_lo,
            y_hi,
            title=page.t["trend"],
            decimal=page.decimal,
            width=360,
            height=220,
        ),
        dist_svg=charts.bars(dist, title=page.t["distribution"]),
        funnel_svg=charts.funnel(
            funnel_steps,
            title=page.t["funnel"],
            decimal=page.decimal,
            height=190 + 36 * len(never),
        ),
        funnel_narrow_svg=charts.funnel(
            funnel_steps,
            title=page.t["funnel"],
            decimal=page.decimal,
            width=360,
            height=180 + 34 * len(never),
        ),
        score_bar=lambda s: charts.score_bar(s.score, s.interval, y_lo, y_hi),
        dist_as_given=as_given,
        flags=data["flags"],
        league=data["league"],
        effects=data["effects"],
        bias=data["bias"],
        mix=lambda s: _mix(page, metric, s),
        flag_test=page.t["test_" + _test_name(metric)],
        pooling=data["pooling"],
        groups=_worst_first(data["groups"]),
        overall=overall,
        min_n=data["v"].config.min_n,
        tz=data["v"].config.timezone.key,
        **{k: data[k] for k in ("cards", "funnel", "comments", "options", "open_cases")},
    )


def _mix(page: Page, metric: str, s: Score) -> Any:
    """The stacked low/middle/high bar beside a score (empty for a hidden group)."""
    low, middle, high = (*s.categories.values(), 0, 0, 0)[:3]
    low_name, mid_name, high_name = (page.t.get(n, n) for n in definition(metric).categories)
    return charts.mix(low, middle, high, (low_name, mid_name, high_name))


def _direction(flag: Any) -> int:
    return 0 if flag is None else int(flag.result.direction)


def _test_name(metric: str) -> str:
    return {"net": "nps", "mean": "mean"}.get(definition(metric).headline.value, "share")


def _lower_is_better(container: Container, flows: tuple[str, ...]) -> bool:
    """True when the figure counts exactly one flow and its scale has lower as better."""
    if len(flows) != 1 or flows[0] not in container.flows:
        return False
    return container.flows[flows[0]].scale.direction == "lower_is_better"


def _dimension(value: str | None, allowed: tuple[Dimension, ...], default: Dimension) -> Dimension:
    return next((d for d in allowed if d.value == value), default)


# -- responses (drill-down) -------------------------------------------------------------------

PAGE_SIZE = 50


def responses_data(page: Page, number: int) -> dict[str, Any]:
    v = _view(page, metric=page.request.query_params.get("metric") or None)
    hidden = small_groups.withheld(page.container, page.role, v)
    found = report_service(page.container).responses(
        v, limit=0 if hidden else PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, options=True
    )
    return {"total": found.total, "rows": found.rows, "options": found.options, "withheld": hidden}


@router.get("/responses")
async def responses(request: Request, container: ContainerDep) -> Response:
    """Every response behind a number, with comments, paginated."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    try:
        number = min(max(1, int(request.query_params.get("page", "1"))), MAX_PAGE)
    except ValueError:
        number = 1
    data = await container.db.report(responses_data, page, number)
    pages = max(1, -(-data["total"] // PAGE_SIZE))
    return page.render(
        "responses.html",
        flows=sorted(container.flows),
        number=number,
        pages=pages,
        band=_response_band,
        **data,
    )


def _response_band(row: ResponseRow) -> str:
    """A CSS class for the answer's colour (classes, not inline styles: the CSP allows none)."""
    band = band_of(row.metric, row.goodness, row.scale_min, row.scale_max)
    return {-1: "low", 0: "mid", 1: "high"}[band]


def response_detail(container: Container, response_id: int) -> dict[str, Any] | None:
    row = report_service(container).response(response_id)
    if row is None:
        return None
    found = container.cases.list_cases(limit=1, response_id=response_id)
    return {"row": row, "case": found[0] if found else None}


@router.get("/responses/{response_id}")
async def response_page(request: Request, container: ContainerDep, response_id: int) -> Response:
    """One response, its comment and its alert case."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    data = await container.db.report(
        response_detail, container, existing_id(response_id, "response")
    )
    if data is None:
        raise no_such("response")
    return page.render("response.html", band=_response_band, now=datetime.now(UTC), **data)


# -- cases ------------------------------------------------------------------------------------


def cases_data(container: Container, state: CaseStatus | None) -> list[dict[str, Any]]:
    return container.cases.list_cases(state, limit=200)


@router.get("/cases")
async def case_list(request: Request, container: ContainerDep) -> Response:
    """Alert cases with their 48-hour target and status forms."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    wanted = request.query_params.get("status")
    state = CaseStatus(wanted) if wanted in {s.value for s in CaseStatus} else None
    rows = await container.db.report(cases_data, container, state)
    return page.render(
        "cases.html",
        rows=rows,
        state=state.value if state else "",
        statuses=[s.value for s in CaseStatus],
        now=datetime.now(UTC),
    )


def _set_status(container: Container, case_id: int, state: CaseStatus) -> None:
    container.cases.set_status(case_id, state, datetime.now(UTC))


@router.post("/cases/{case_id}")
async def update_case(  # noqa: PLR0917  (FastAPI reads the form fields from the signature)
    request: Request,
    container: ContainerDep,
    case_id: int,
    new_status: Annotated[CaseStatus, Form(alias="status")],
    csrf: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/admin/cases",
) -> Response:
    """Change a case's status (admin session and CSRF token required)."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    if not auth.csrf_ok(container.settings, request.cookies.get(auth.COOKIE), csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid CSRF token")
    if page.role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    existing_id(case_id, "case")
    try:
        await container.db.run(_set_status, container, case_id, new_status)
    except LookupError:
        raise no_such("case") from None
    return RedirectResponse(_safe_next(back), status.HTTP_303_SEE_OTHER)


# -- test answers -----------------------------------------------------------------------------


@router.post("/test-answers/purge")
async def purge_tests(
    request: Request,
    container: ContainerDep,
    csrf: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Delete every test answer (admin session, CSRF token and the confirm box required)."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    if not auth.csrf_ok(container.settings, request.cookies.get(auth.COOKIE), csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid CSRF token")
    if page.role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    if confirm != "yes":
        return RedirectResponse("/admin/responses?test=only", status.HTTP_303_SEE_OTHER)
    await container.db.run(purge_test_answers, container.db.engine)
    report_service(container).overview_cache.clear()  # a kept overview may count them
    return RedirectResponse("/admin/responses?purged=1", status.HTTP_303_SEE_OTHER)


# -- invitations ------------------------------------------------------------------------------

INVITATION_STATES = (
    "pending",
    "open",
    "completed",
    "failed",
    "throttled",
    "opted_out",
    "ineligible",
    "skipped",
)


@router.get("/invitations")
async def invitation_list(request: Request, container: ContainerDep) -> Response:
    """The newest invitations; a pending one says why it waits and when it goes."""
    page = await signed_in(request, container)
    if page is None:
        return to_login(request)
    wanted = request.query_params.get("status")
    state = InvitationStatus(wanted) if wanted in INVITATION_STATES else None
    rows = await container.db.report(
        recent_invitations, container, state, 200, test=page.test == Rehearsals.ONLY
    )
    return page.render(
        "invitations.html",
        rows=rows,
        state=state.value if state else "",
        statuses=list(INVITATION_STATES),
    )
