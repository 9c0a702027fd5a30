"""`surveybot report`, `surveybot export` and `surveybot demo-data`: reports from the terminal.

`bots.cli.main` adds them to the command line with `register(app)`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bots.cli.common import console, engine_for, fail, settings_or_exit
from bots.cli.errors import CliError, check_locale, parse_day
from bots.reporting import report_service_for
from bots.settings import Settings
from flows.models import Flow
from scoring.answer_facts import fill_answer_facts
from scoring.cases import CASE_TARGET
from scoring.channels import CHANNELS as REGISTERED
from scoring.reports.csv_format import (
    RESPONSE_HEADER,
    CsvFormat,
    Separator,
    csv_line,
)
from scoring.reports.definitions import definition
from scoring.reports.figures import Score
from scoring.reports.filters import Attribution, Dimension
from scoring.reports.params import ParamError, View
from scoring.reports.service import MetricReport, ReportService


def _period(since: str | None, until: str | None) -> dict[str, str | None]:
    """--since and --until as report parameters, each a YYYY-MM-DD day, the first one first."""
    first = parse_day(since, "--since") if since else None
    last = parse_day(until, "--until") if until else None
    if first is not None and last is not None and last < first:
        raise CliError(f"--until {until} is before --since {since}")
    return {
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
    }


METRICS = ("nps", "csat", "ces", "fcr", "custom")
# The command-line option behind each report parameter, for error messages.
OPTION = {"from": "--since", "to": "--until", "group_by": "--by"}


def _flows(settings: Settings, flow: str | None) -> Mapping[str, Flow]:
    """The loaded flows, read only when an option names one."""
    if not flow:
        return {}
    from flows.loader import load_flows  # noqa: PLC0415

    return load_flows(settings.flows_dir)


def _view(reports: ReportService, params: dict[str, str | None]) -> View:
    """The options as the same View the API and the dashboard parse."""
    try:
        return reports.view(params)
    except ParamError as exc:
        option = OPTION.get(exc.param, f"--{exc.param.replace('_', '-')}")
        raise CliError(f"{option}: {exc.message}") from None


REPORT_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "by": "by",
        "all": "all",
        "none": "(no {what})",
        "flow": "flow",
        "channel": "channel",
        "agent": "agent",
        "team": "team",
        "queue": "queue",
        "journey_stage": "journey stage",
        "locale": "language",
        "tag": "tag",
        "day": "day",
        "week": "week",
        "month": "month",
        "dow": "day of the week",
        "transfers": "transfers",
        "channel_switches": "channel switches",
        "teams_involved": "teams involved",
        "score": "score",
        "interval": "95% interval",
        "hidden": "groups with n < {min_n} show n only",
        "pooled": "pooled: {flows}",
        "separate": "not in this figure, reported on their own (another question): {flows}",
        "no_answers": "no answers in this period; flows: {flows}",
        "flow_version": "question version",
    },
    "nl": {
        "by": "per",
        "all": "alle",
        "none": "(geen {what})",
        "flow": "flow",
        "channel": "kanaal",
        "agent": "agent",
        "team": "team",
        "queue": "wachtrij",
        "journey_stage": "klantfase",
        "locale": "taal",
        "tag": "tag",
        "day": "dag",
        "week": "week",
        "month": "maand",
        "dow": "weekdag",
        "transfers": "doorverbindingen",
        "channel_switches": "kanaalwissels",
        "teams_involved": "betrokken teams",
        "score": "score",
        "interval": "95%-interval",
        "hidden": "groepen met n < {min_n} tonen alleen n",
        "pooled": "samengevoegd: {flows}",
        "separate": "niet in dit cijfer, apart gerapporteerd (een andere vraag): {flows}",
        "no_answers": "geen antwoorden in deze periode; flows: {flows}",
        "flow_version": "vraagversie",
    },
}
# The score's categories as the dashboard names them; English keeps metrics' own names.
CATEGORY_WORDS = {
    "nl": {
        "detractors": "criticasters",
        "passives": "passieven",
        "promoters": "promotors",
        "dissatisfied": "ontevreden",
        "neutral": "neutraal",
        "satisfied": "tevreden",
        "difficult": "moeilijk",
        "resolved": "opgelost",
        "not_resolved": "niet opgelost",
        "easy": "makkelijk",
        "low": "laag",
        "middle": "midden",
        "high": "hoog",
    },
}
WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
}


def group_label(key: str | None, by: Dimension | None, lang: str) -> str:
    """A group's key as a person reads it: '(no agent)', 'Monday', never 'None' or '1'."""
    words = REPORT_WORDS[lang]
    if key is None:
        return words["none"].format(what=words[by.value] if by else "")
    if by is Dimension.DOW and key.isdigit() and 1 <= int(key) <= len(WEEKDAYS[lang]):
        return WEEKDAYS[lang][int(key) - 1]
    return str(key)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(  # noqa: PLR0917  (typer reads the options from the signature)
    flow: Annotated[str | None, typer.Option(metavar="FLOW", help="flow id, e.g. nps")] = None,
    metric: Annotated[
        str | None,
        typer.Option(metavar="METRIC", help="nps, csat, ces or fcr (default: the flow's)"),
    ] = None,
    by: Annotated[Dimension | None, typer.Option(help="group by this")] = None,
    since: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="first day (local)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="last day (inclusive, local)")
    ] = None,
    agent: Annotated[str | None, typer.Option(metavar="NAME", help="only this agent")] = None,
    team: Annotated[str | None, typer.Option(metavar="NAME", help="only this team")] = None,
    channel: Annotated[
        str | None, typer.Option(metavar="CHANNEL", help="only this channel, e.g. sms")
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(metavar="nl|en", help="language of the labels (default: the server's)"),
    ] = None,
    pool: Annotated[
        bool,
        typer.Option(
            "--pool",
            help="with --metric: count every flow of the metric in one figure (says which)",
        ),
    ] = False,
    attribution: Annotated[
        Attribution | None,
        typer.Option(help="by agent or team: the chain's last, first or every member"),
    ] = None,
) -> None:
    """Print a score table per flow: score, 95% interval and n per group.

    Without --flow or --metric, every flow with answers in the period gets its own table.
    """
    check_locale(lang, "--lang")
    settings = settings_or_exit()
    lang = lang or settings.default_locale
    period = _period(since, until)
    if metric and metric not in METRICS:
        raise CliError(f"--metric {metric!r} is not one of {', '.join(METRICS)}")
    if channel is not None and channel not in REGISTERED:
        raise CliError(f"--channel {channel!r} is not one of {', '.join(REGISTERED.names())}")
    if pool and not metric:
        raise CliError("--pool needs --metric: it pools the flows of one metric")
    params: dict[str, str | None] = {
        **period,
        "metric": metric,
        "agent": agent,
        "team": team,
        "channel": channel,
        "group_by": by.value if by else None,
        "pool": "true" if pool else None,
        "attribution": attribution.value if attribution else None,
    }
    loaded = _flows(settings, "all")
    engine = engine_for(settings, migrate=True)
    try:
        reports = report_service_for(settings, engine, loaded)
        if flow or metric:
            found = [reports.metrics(_view(reports, {**params, "flow": flow}))]
        else:
            found = _each_flow(reports, params, loaded)
    finally:
        engine.dispose()
    words = REPORT_WORDS[lang]
    if not found:
        known = ", ".join(sorted(loaded))
        console.print(words["no_answers"].format(flows=known))
        return
    for one in found:
        _print_report(one, by, lang)


def _each_flow(
    reports: ReportService, params: dict[str, str | None], loaded: Mapping[str, Flow]
) -> list[MetricReport]:
    """One report per loaded flow that has answers under the filters, in flow id order."""
    found = []
    for fid in sorted(loaded):
        one = reports.metrics(_view(reports, {**params, "flow": fid}))
        if one.overall.n:
            found.append(one)
    return found


def _interval(row: Score, digits: int) -> str:
    if row.interval is None:
        return "-"
    lo, hi = row.interval
    return f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def _print_report(found: MetricReport, by: Dimension | None, lang: str) -> None:
    """One flow's (or one pooled metric's) table, titled with what it counts."""
    chosen, overall, groups, config = found.metric, found.overall, found.groups, found.view.config
    spec = definition(chosen)
    digits = spec.digits
    words = REPORT_WORDS[lang]
    counted = ", ".join(found.pooling.flows) or chosen
    if found.pooling.pooled:
        counted = words["pooled"].format(flows=counted)
    head = f"{chosen.upper()} {words['by']} {words[by.value]}" if by else chosen.upper()
    title = f"{head} · {words['flow']} {counted}"
    table = Table(title=title)
    table.add_column(words[by.value] if by else "", style="bold", no_wrap=True)
    for name in (words["score"], words["interval"], "n"):
        table.add_column(name, justify="right")
    names = spec.categories
    for name in names:
        table.add_column(CATEGORY_WORDS.get(lang, {}).get(name, name), justify="right")
    for row in [*groups, overall]:
        label = words["all"] if row is overall else group_label(row.key, by, lang)
        counts = [str(row.categories.get(n, "")) for n in names]
        table.add_row(
            label,
            _fmt(row.score, digits),
            _interval(row, digits),
            str(row.n),
            *counts,
            end_section=row is groups[-1] if groups else False,
        )
    console.print(table)
    if found.pooling.separate:
        apart = ", ".join(found.pooling.separate)
        console.print(f"[dim]{words['separate'].format(flows=apart)}[/dim]")
    if any(r.hidden for r in [*groups, overall]):
        console.print(f"[dim]{words['hidden'].format(min_n=config.min_n)}[/dim]")


def export(  # noqa: PLR0917  (typer reads the options from the signature)
    out: Annotated[Path, typer.Option(metavar="FILE", help="CSV file to write")],
    flow: Annotated[str | None, typer.Option(metavar="FLOW", help="flow id")] = None,
    metric: Annotated[str | None, typer.Option(metavar="METRIC", help="nps, csat or ces")] = None,
    since: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="first day (local)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="last day (inclusive, local)")
    ] = None,
    sep: Annotated[
        str,
        typer.Option(
            metavar="SEP", help="comma, or semicolon (with decimal commas) for Dutch Excel"
        ),
    ] = "comma",
) -> None:
    """Write the matching responses (with comments) to a CSV file, with a progress bar."""
    settings = settings_or_exit()
    if sep not in set(Separator):
        fail(f"--sep must be comma or semicolon, not '{sep}'")
    params = {**_period(since, until), "flow": flow, "metric": metric}
    engine = engine_for(settings, migrate=True)
    try:
        reports = report_service_for(settings, engine, _flows(settings, flow))
        v = _view(reports, params)
        written = _write_csv(reports, v, out, CsvFormat(Separator(sep), v.config.timezone))
    finally:
        engine.dispose()
    console.print(f"wrote {written} response(s) to {out}")


def _write_csv(reports: ReportService, v: View, out: Path, fmt: CsvFormat) -> int:
    """Write the view's responses batch by batch; returns how many."""
    total = reports.responses(v, limit=0).total
    written = 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
    )
    try:
        handle = out.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror}", code=1) from None
    with (
        handle,
        Progress(*columns, console=console, disable=total < 5000) as progress,
    ):
        task = progress.add_task(f"exporting to {out}", total=total)
        handle.write(fmt.start() + csv_line(RESPONSE_HEADER, fmt))
        after: tuple[datetime, int] | None = None
        while True:
            lines, count, after = reports.response_csv_batch(v, after, 5000, fmt)
            if after is None:
                break
            handle.write(lines)
            written += count
            progress.update(task, advance=count)
    return written


def demo_data(
    responses: Annotated[
        int, typer.Option(min=1, help="how many answered surveys to create")
    ] = 5000,
    days: Annotated[int, typer.Option(min=1, help="spread over this many days up to today")] = 120,
    seed: Annotated[int, typer.Option(help="random seed, for repeatable data")] = 7,
) -> None:
    """Seed realistic demo data: agents, teams, channels, a weekly pattern, comments, cases."""
    settings = settings_or_exit()
    engine = engine_for(settings, migrate=True)
    counts = seed_demo(engine, responses=responses, days=days, seed=seed)
    engine.dispose()
    console.print(
        f"seeded {counts['invitation']} invitations, {counts['response']} responses, "
        f"{counts['comment']} comments and {counts['alert_case']} cases"
    )


test_answers_app = typer.Typer(
    help="Test answers from `surveybot try`: left out of every report; count or delete them.",
    no_args_is_help=True,
)


@test_answers_app.command("count")
def count_rehearsals() -> None:
    """How many test surveys and test answers are stored."""
    from scoring.rehearsals import count_test_answers  # noqa: PLC0415

    engine = engine_for(settings_or_exit(), migrate=True)
    counts = count_test_answers(engine)
    engine.dispose()
    typer.echo(f"test answers: invitations={counts['invitations']} responses={counts['responses']}")


@test_answers_app.command("purge")
def purge_rehearsals(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
) -> None:
    """Delete every test survey (from `surveybot try`) and everything stored with it."""
    from scoring.rehearsals import count_test_answers, purge_test_answers  # noqa: PLC0415

    engine = engine_for(settings_or_exit(), migrate=True)
    try:
        found = count_test_answers(engine)
        if not found["invitations"]:
            typer.echo("no test answers stored")
            return
        if not yes and not typer.confirm(
            f"delete {found['invitations']} test survey(s) with {found['responses']} answer(s)?"
        ):
            raise typer.Exit(1)
        deleted = purge_test_answers(engine)
    finally:
        engine.dispose()
    shown = " ".join(f"{name}={n}" for name, n in deleted.items() if n)
    typer.echo(f"deleted: {shown}")


def register(app: typer.Typer) -> None:
    """Add `report`, `export`, `demo-data` and `test-answers` to the main command line."""
    app.command("report")(report)
    app.command("export")(export)
    app.command("demo-data")(demo_data)
    app.add_typer(test_answers_app, name="test-answers")


# -- demo data --------------------------------------------------------------------------------

TEAMS = {
    "Team Noord": ["Anna", "Bram", "Chloé", "Daan"],
    "Team Zuid": ["Eva", "Finn", "Gijs", "Hanna"],
    "Team Online": ["Ilse", "Joost", "Kim", "Lars"],
}
CHANNELS = (("whatsapp", 0.35), ("sms", 0.25), ("telegram", 0.2), ("voice", 0.2))
QUEUES = ("billing", "technical", "sales", "returns")
FLOWS = (  # flow, metric, min, max, lower_is_better, alert band, journey stage, share
    ("nps", "nps", 0, 10, False, (0, 6), "purchase", 0.4),
    ("csat", "csat", 1, 5, False, (1, 2), "service", 0.45),
    ("ces", "ces", 1, 7, False, (1, 3), "complaint", 0.15),
)
COMMENTS = {
    "nl": [
        "Ik moest drie keer bellen voordat het geregeld was.",
        "De wachttijd was veel te lang.",
        "Medewerker was vriendelijk maar kon me niet helpen.",
        "Mijn factuur klopt nog steeds niet.",
        "Niemand heeft me teruggebeld zoals beloofd.",
    ],
    "en": [
        "I had to explain my problem three times.",
        "Waited over 40 minutes on hold.",
        "Friendly, but my issue is still not solved.",
        "The refund still hasn't arrived.",
        "Nobody called me back as promised.",
    ],
}
# Agent quality offsets: a couple of weak and strong performers so breakdowns tell a story.
QUALITY = {"Bram": -0.18, "Gijs": -0.12, "Eva": 0.1, "Kim": 0.12, "Joost": -0.06}
WEEKDAY_VOLUME = (1.3, 1.15, 1.05, 1.0, 0.95, 0.45, 0.3)  # Monday busiest, weekends quiet
WEEKDAY_MOOD = (-0.06, -0.02, 0.0, 0.01, 0.03, 0.04, 0.02)  # Monday queues make people grumpy


@dataclass
class _Ids:
    contact: int
    invitation: int
    response: int
    comment: int
    case: int


def _next_ids(conn: sa.Connection) -> _Ids:
    def nxt(table: str) -> int:
        t = SQLModel.metadata.tables[table]
        return (
            int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one()) + 1
        )

    return _Ids(
        nxt("contact"), nxt("invitation"), nxt("response"), nxt("comment"), nxt("alert_case")
    )


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _score(rng: random.Random, lo: int, hi: int, mood: float) -> int:
    # A latent satisfaction in 0..1, skewed positive like real service surveys.
    latent = min(1.0, max(0.0, rng.betavariate(7.0, 1.8) + mood + rng.gauss(0, 0.08)))
    return lo + round(latent * (hi - lo))


def seed_demo(
    engine: Engine, *, responses: int, days: int = 120, seed: int = 7, now: datetime | None = None
) -> dict[str, int]:
    """Insert demo rows through the real tables with executemany; returns rows per table."""
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    now = now or datetime.now(UTC)
    tz = ZoneInfo("Europe/Amsterdam")
    tables = SQLModel.metadata.tables
    agents = [(agent, team) for team, names in TEAMS.items() for agent in names]
    rows: dict[str, list[dict[str, Any]]] = {
        t: [] for t in ("contact", "invitation", "response", "comment", "alert_case")
    }
    with engine.begin() as conn:
        ids = _next_ids(conn)
        day_weights = [
            WEEKDAY_VOLUME[(now - timedelta(days=d)).astimezone(tz).weekday()] for d in range(days)
        ]
        answered = 0
        while answered < responses:
            offset = rng.choices(range(days), weights=day_weights)[0]
            local_day = (now - timedelta(days=offset)).astimezone(tz).date()
            local = datetime.combine(local_day, time(rng.randint(8, 19), rng.randint(0, 59)), tz)
            created = local.astimezone(UTC)
            if created > now - timedelta(minutes=5):
                continue
            agent, team = rng.choice(agents)
            channel = _weighted(rng, CHANNELS)
            flow_id, metric, lo, hi, lower, band, stage, _ = rng.choices(
                FLOWS, weights=[f[-1] for f in FLOWS]
            )[0]
            locale = "nl" if rng.random() < 0.7 else "en"
            tags = [t for t, p in (("vip", 0.08), ("repeat-contact", 0.15)) if rng.random() < p]
            contact_id, invitation_id = ids.contact, ids.invitation
            ids.contact += 1
            ids.invitation += 1
            rows["contact"].append(
                {
                    "id": contact_id,
                    "channel": channel,
                    "pseudonym": uuid.uuid4().hex,
                    "created_at": created,
                }
            )
            failed = rng.random() < 0.03
            sent_at = None if failed else created + timedelta(seconds=rng.randint(1, 30))
            delivered = not failed and (channel == "voice" or rng.random() < 0.96)
            replies = delivered and rng.random() < (0.62 if channel == "voice" else 0.45)
            answered_at = (
                sent_at + timedelta(minutes=rng.randint(1, 180)) if replies and sent_at else None
            )
            if answered_at is not None and answered_at > now:
                answered_at = now - timedelta(minutes=1)
            status = "completed" if answered_at else "failed" if failed else "expired"
            rows["invitation"].append(
                {
                    "id": invitation_id,
                    "public_id": str(uuid.uuid4()),
                    "flow_id": flow_id,
                    "channel": channel,
                    "contact_id": contact_id,
                    "locale": locale,
                    "interaction_id": f"demo-{invitation_id}",
                    "agent": agent,
                    "team": team,
                    "queue": rng.choice(QUEUES),
                    "journey_stage": stage,
                    "tags": tags,
                    "status": status,
                    "delivery_status": "live"
                    if channel == "voice" and delivered
                    else "delivered"
                    if delivered
                    else "failed"
                    if failed
                    else "sent",
                    "created_at": created,
                    "sent_at": sent_at,
                    "answered_at": answered_at,
                    "closed_at": answered_at,
                }
            )
            if answered_at is None:
                continue
            answered += 1
            _answer(
                rng,
                rows,
                ids,
                now=now,
                inv=rows["invitation"][-1],
                flow=(metric, lo, hi, lower, band),
            )
        for name in ("contact", "invitation", "response", "comment", "alert_case"):
            for start in range(0, len(rows[name]), 5000):
                conn.execute(tables[name].insert(), rows[name][start : start + 5000])
        fill_answer_facts(conn)  # as an answer's own INSERT stores it
        if conn.dialect.name == "postgresql":
            for name in rows:  # explicit ids: move the sequences past them
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"  # our own table names
                    )
                )
    return {name: len(values) for name, values in rows.items()}


def _answer(
    rng: random.Random,
    /,
    rows: dict[str, list[dict[str, Any]]],
    ids: _Ids,
    *,
    now: datetime,
    inv: dict[str, Any],
    flow: tuple[str, int, int, bool, tuple[int, int]],
) -> None:
    """The response to one invitation, with a comment and a case when it is a low score."""
    metric, lo, hi, lower, band = flow
    answered_at: datetime = inv["answered_at"]
    agent, team, locale = inv["agent"], inv["team"], inv["locale"]
    local = answered_at.astimezone(ZoneInfo("Europe/Amsterdam"))
    mood = QUALITY.get(agent, 0.0) + WEEKDAY_MOOD[local.weekday()]
    value = _score(rng, lo, hi, mood)
    response_id = ids.response
    ids.response += 1
    rows["response"].append(
        {
            "id": response_id,
            "invitation_id": inv["id"],
            "flow_id": inv["flow_id"],
            "metric": metric,
            "value": value,
            "scale_min": lo,
            "scale_max": hi,
            "lower_is_better": lower,
            "raw_text": str(value),
            "normaliser_version": "demo",
            "channel": inv["channel"],
            "locale": locale,
            "agent": agent,
            "team": team,
            "queue": inv["queue"],
            "journey_stage": inv["journey_stage"],
            "answered_at": answered_at,
        }
    )
    if not band[0] <= value <= band[1]:
        return
    if rng.random() < 0.6:
        rows["comment"].append(
            {
                "id": ids.comment,
                "response_id": response_id,
                "text": rng.choice(COMMENTS[locale]),
                "created_at": answered_at + timedelta(minutes=2),
            }
        )
        ids.comment += 1
    if answered_at > now - timedelta(days=14):
        closed = answered_at < now - timedelta(days=4)
        rows["alert_case"].append(
            {
                "id": ids.case,
                "response_id": response_id,
                "flow_id": inv["flow_id"],
                "value": value,
                "agent": agent,
                "team": team,
                "status": "closed" if closed else rng.choice(["open", "contacted"]),
                "created_at": answered_at,
                "updated_at": answered_at,
                "due_at": answered_at + CASE_TARGET,
                "closed_at": answered_at + timedelta(hours=20) if closed else None,
            }
        )
        ids.case += 1
