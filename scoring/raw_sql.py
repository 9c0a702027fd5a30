"""The inbound hot path in plain SQL on the driver's cursor, for SQLite and PostgreSQL.

A webhook answer is a handful of tiny statements. Through SQLAlchemy each one costs tens of
microseconds of bookkeeping, several times the database's own work, so this path talks to the
driver directly, inside the transaction SQLAlchemy opened (or, on SQLite, the store's own).
Statements are written once in `:name` style; PostgreSQL gets them rewritten to `%(name)s` and
adds row locks. Statuses come from the enums in scoring.tables, and datetimes and JSON are
encoded by the very column types the ORM uses (`Codec`), so both paths read each other's rows.
tests/integration/test_raw_sql_schema.py checks every statement against the tables.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlmodel import SQLModel

from scoring.answer_facts import NOTE_KNOWN_VALUES, insert_sql
from scoring.tables import ANSWERABLE_STATUSES, OPEN_STATUSES, InvitationStatus

NAMED_PARAM = re.compile(r":([a-z_]+)")
_FACTS_PG = insert_sql(postgres=True)
_FACTS_SQLITE = insert_sql(postgres=False)


def _statuses(statuses: Iterable[InvitationStatus]) -> str:
    """A SQL list of status literals (enum values, never input)."""
    return "(" + ", ".join(f"'{status.value}'" for status in statuses) + ")"


_ANSWERABLE = _statuses(ANSWERABLE_STATUSES)
_OPEN = _statuses(OPEN_STATUSES)

SURVEY_COLUMNS = (
    "i.id, i.public_id, i.flow_id, i.channel, i.locale, i.status, i.expires_at, i.agent, "
    "i.team, i.queue, i.journey_stage, s.step, COALESCE(s.reprompts, 0), i.is_test"
)
_OF_ADDRESS = "WHERE c.channel = :channel AND c.address = :address AND i.channel = :channel"
SURVEY_FROM = (
    "contact c JOIN invitation i ON i.contact_id = c.id "
    "LEFT JOIN conversationstate s ON s.invitation_id = i.id " + _OF_ADDRESS
)
# Open surveys always have a state row (it is written when the question is sent). Locking it
# with the invitation matters on PostgreSQL: a request that waited for the lock must see the
# state the other request left, not the one from before it waited.
LOCKED_FROM = (
    "contact c JOIN invitation i ON i.contact_id = c.id "
    "JOIN conversationstate s ON s.invitation_id = i.id " + _OF_ADDRESS
)
NEWEST = "ORDER BY i.created_at DESC, i.id DESC LIMIT 1"

# Built from constants only; every value travels as a bound parameter.
_SURVEY = f"SELECT {SURVEY_COLUMNS} FROM {SURVEY_FROM}"  # noqa: S608
_LOCKED = f"SELECT {SURVEY_COLUMNS} FROM {LOCKED_FROM}"  # noqa: S608
_OPTED_OUT = f"'{InvitationStatus.OPTED_OUT.value}'"
_CLOSE_ALL_OPEN = (
    f"UPDATE invitation SET status = {_OPTED_OUT}, closed_at = :now "  # noqa: S608
    "WHERE contact_id IN (SELECT id FROM contact WHERE pseudonym = :pseudonym) "
    f"AND status IN {_OPEN}"
)
STATEMENTS: dict[str, str] = {
    "newest_open": f"{_LOCKED} AND i.status IN {_ANSWERABLE} {NEWEST} {{lock}}",
    "newest_any": _SURVEY + " " + NEWEST,
    "pinned": _SURVEY + " AND i.public_id = :public_id",
    "pinned_open": _LOCKED + " AND i.public_id = :public_id {lock}",
    "update_state": "UPDATE conversationstate SET step = :step, reprompts = :reprompts, "
    "updated_at = :now WHERE invitation_id = :iid",
    "insert_state": "INSERT INTO conversationstate (invitation_id, step, reprompts, updated_at) "
    "VALUES (:iid, :step, :reprompts, :now)",
    "insert_response": "INSERT INTO response (invitation_id, flow_id, metric, value, scale_min, "
    "scale_max, lower_is_better, raw_text, normaliser_version, decision, flow_version, channel, "
    "locale, agent, team, queue, journey_stage, answered_at, is_test, "
    # scoring.answer_facts.COLUMNS, in its order:
    "answer_delay_seconds, first_agent, first_team, transfers, channel_switches, teams_involved) "
    "VALUES (:invitation_id, :flow_id, :metric, :value, :scale_min, :scale_max, "
    ":lower_is_better, :raw_text, :normaliser_version, :decision, :flow_version, :channel, "
    ":locale, :agent, :team, :queue, :journey_stage, :answered_at, :is_test, "
    # What reports read of the invitation, stored in this statement (no extra one).
    "{answer_facts})",
    # The dashboard's filter lists (table known_value): a real answer's values, once each.
    "note_known_values": NOTE_KNOWN_VALUES,
    "insert_comment": "INSERT INTO comment (response_id, text, created_at) VALUES "
    "((SELECT id FROM response WHERE invitation_id = :iid), :text, :now)",
    "insert_event": "INSERT INTO inboundevent (provider, event_key, invitation_id, outcome, "
    "detail, reply, received_at) VALUES (:provider, :event_key, :invitation_id, :outcome, "
    ":detail, {json_reply}, :received_at)",
    "insert_late": "INSERT INTO lateanswer (invitation_id, raw_text, received_at) "
    "VALUES (:iid, :text, :now)",
    "select_event": "SELECT outcome, reply FROM inboundevent "
    "WHERE provider = :provider AND event_key = :event_key",
    "insert_optout": "INSERT INTO optout (pseudonym, channel, opted_out_at) "
    "VALUES (:pseudonym, :channel, :now) ON CONFLICT DO NOTHING",
    "select_optout": "SELECT 1 FROM optout WHERE pseudonym = :pseudonym",
    "delete_optout": "DELETE FROM optout WHERE pseudonym = :pseudonym",
    # Answer buttons a channel drew for this survey, taken away once its question moves on.
    "take_live_buttons": "UPDATE outboundmessage SET buttons_live = :off "
    "WHERE invitation_id = :iid AND buttons_live = :on RETURNING provider_message_id",
    # Detractor alerts (scoring.cases): the case and its outbox row, in the answer's transaction.
    "open_case": "INSERT INTO alert_case (response_id, flow_id, value, agent, team, status, "
    "created_at, updated_at, due_at) SELECT id, flow_id, value, agent, team, :status, :now, "
    ":now, :due FROM response WHERE invitation_id = :iid RETURNING id",
    "add_alert_event": "INSERT INTO alert_event (case_id, kind, created_at) "
    "VALUES (:case_id, :kind, :now)",
    "add_comment_alert_event": "INSERT INTO alert_event (case_id, kind, created_at) "
    "SELECT a.id, :kind, :now FROM alert_case a JOIN response r ON r.id = a.response_id "
    "WHERE r.invitation_id = :iid",
    "close_all_open": _CLOSE_ALL_OPEN,
    # Connector pushes (scoring.response_push): one outbox row per target, with the response.
    "queue_push": "INSERT INTO response_push (response_id, target, status, attempts, "
    "next_attempt_at, created_at) SELECT id, :target, :status, 0, :now, :now FROM response "
    "WHERE invitation_id = :iid",
    # A channel's calls to make after this commit (scoring.deferred drains them).
    "insert_deferred": "INSERT INTO deferred_call (channel, address, method, payload, due_at, "
    "expires_at, attempts, created_at) VALUES (:channel, :address, :method, {json_payload}, "
    ":now, :expires_at, 0, :now)",
}


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Codec:
    """Driver values for one dialect, by the ORM's own column types (UTCDateTime and JSON)."""

    timestamp_in: Callable[[Any], Any]
    timestamp_out: Callable[[Any], Any]
    json_in: Callable[[Any], Any]
    json_out: Callable[[Any], Any]

    @staticmethod
    @functools.cache
    def of(dialect: Dialect) -> Codec:
        tables = SQLModel.metadata.tables
        timestamp = tables["invitation"].c.expires_at.type.dialect_impl(dialect)
        json = tables["inboundevent"].c.reply.type.dialect_impl(dialect)
        bind = timestamp.bind_processor(dialect) or _same
        if dialect.name == "sqlite":
            bind = _sqlite_timestamp  # what the column type writes, without its % formatting
        return Codec(
            bind,
            timestamp.result_processor(dialect, None) or _same,
            json.bind_processor(dialect) or _same,
            json.result_processor(dialect, None) or _same,
        )


def _sqlite_timestamp(value: datetime) -> str:
    """UTCDateTime on SQLite: naive UTC as `YYYY-MM-DD HH:MM:SS.ffffff`, aware input only."""
    global _last_timestamp  # noqa: PLW0603 - one (datetime, text) pair, replaced whole
    last = _last_timestamp
    if last[0] is value:
        return last[1]  # an answer binds the same `now` to four or five columns
    if value.tzinfo is None:
        raise ValueError("naive datetime refused: use timezone-aware datetimes")
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    _last_timestamp = (value, text)
    return text


_last_timestamp: tuple[object, str] = (object(), "")


class RawSql:
    """Run the named statements on a SQLAlchemy connection's driver cursor."""

    def __init__(self, conn: Connection) -> None:
        self._setup(
            conn.connection.cursor(), conn.dialect, conn.dialect.loaded_dbapi.IntegrityError
        )

    @classmethod
    def on_cursor(
        cls, cursor: Any, dialect: Dialect, *, integrity_error: type[Exception]
    ) -> RawSql:
        """On a driver cursor whose transaction the caller manages."""
        raw = cls.__new__(cls)
        raw._setup(cursor, dialect, integrity_error)
        return raw

    def _setup(self, cursor: Any, dialect: Dialect, integrity_error: type[Exception]) -> None:
        self.postgres = dialect.name == "postgresql"
        self.integrity_error = integrity_error
        self._cursor = cursor
        codec = Codec.of(dialect)
        self._timestamp_in, self._json_in = codec.timestamp_in, codec.json_in
        self._timestamp_out, self._json_out = codec.timestamp_out, codec.json_out

    def execute(self, name: str, params: Mapping[str, Any]) -> int:
        self._cursor.execute(_sql(name, self.postgres), self._bind(params))
        return int(self._cursor.rowcount)

    def execute_text(self, sql: str, params: Mapping[str, Any]) -> int:
        self._cursor.execute(dialect_sql(sql, self.postgres), self._bind(params))
        return int(self._cursor.rowcount)

    def one(self, name: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        self._cursor.execute(_sql(name, self.postgres), self._bind(params))
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None

    def all(self, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        self._cursor.execute(_sql(name, self.postgres), self._bind(params))
        return [tuple(row) for row in self._cursor.fetchall()]

    def _bind(self, params: Mapping[str, Any]) -> dict[str, Any]:
        timestamp, json = self._timestamp_in, self._json_in
        return {
            k: timestamp(v) if isinstance(v, datetime) else json(v) if isinstance(v, list) else v
            for k, v in params.items()
        }

    def encode_json(self, value: Any) -> Any:
        """A JSON column's driver value (`_bind` encodes lists only, the reply column's shape)."""
        return self._json_in(value)

    def timestamp(self, value: Any) -> datetime | None:
        """A datetime column as read from the driver, made timezone-aware."""
        return None if value is None else self._timestamp_out(value)

    def json(self, value: Any) -> Any:
        return self._json_out(value)


@functools.cache
def _sql(name: str, postgres: bool) -> str:
    return dialect_sql(STATEMENTS[name], postgres)


@functools.cache
def dialect_sql(sql: str, postgres: bool) -> str:
    if postgres:
        sql = (
            sql.replace("{lock}", "FOR UPDATE OF i, s")
            .replace("{json_reply}", "CAST(:reply AS json)")
            .replace("{json_payload}", "CAST(:payload AS json)")
            .replace("{answer_facts}", _FACTS_PG)
        )
        return NAMED_PARAM.sub(r"%(\1)s", sql)
    return (
        sql.replace("{lock}", "")
        .replace("{json_reply}", ":reply")
        .replace("{json_payload}", ":payload")
        .replace("{answer_facts}", _FACTS_SQLITE)
    )


@functools.cache
def update_invitation_sql(columns: tuple[str, ...]) -> str:
    """An UPDATE of exactly these invitation columns (names come from our code, not input)."""
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    return f"UPDATE invitation SET {assignments} WHERE id = :iid"  # noqa: S608
