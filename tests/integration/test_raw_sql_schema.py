"""Every hand-written statement of the hot path matches the SQLModel tables, on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import scoring.cases  # noqa: F401  (registers the alert tables the statements write)
from scoring import deferred
from scoring.answer_facts import KNOWN_DIMENSIONS
from scoring.db import make_engine
from scoring.raw_sql import NAMED_PARAM, STATEMENTS, Codec, dialect_sql, update_invitation_sql
from scoring.tables import InvitationStatus

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TABLES = SQLModel.metadata.tables
# The invitation columns the service changes on the hot path (SurveyService._apply).
HOT_INVITATION_COLUMNS = ("answered_at", "closed_at", "status", "status_reason")
ALL_SQL = {
    **STATEMENTS,
    "update_invitation": update_invitation_sql(HOT_INVITATION_COLUMNS),
}
_INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\)")
_UPDATE = re.compile(r"UPDATE (\w+) SET (.+?) WHERE")
# Parameter values of the right type: PostgreSQL infers a parameter's type from its use.
SAMPLE: dict[str, object] = {"now": NOW, "due": NOW, "received_at": NOW}
SAMPLE |= {"answered_at": NOW, "closed_at": NOW}
SAMPLE |= {"iid": 1, "invitation_id": 1, "case_id": 1, "reprompts": 0, "value": 7}
SAMPLE |= {"scale_min": 0, "scale_max": 10, "on": True, "off": False, "lower_is_better": False}
SAMPLE |= {"is_test": False, "reply": [{"kind": "thanks"}]}
SAMPLE |= {"payload": '{"text": "x"}', "expires_at": NOW}  # payload: as the store encodes it
SAMPLE |= {"id": 1, "limit": 8, "until": NOW}  # the deferred-call drainer's


def required_columns(table: sa.Table) -> set[str]:
    """Columns an INSERT must name: NOT NULL, no default, not an autoincrement key."""
    return {
        c.name
        for c in table.columns
        if not c.nullable
        and c.default is None
        and c.server_default is None
        and not (
            c.primary_key and c.autoincrement in (True, "auto") and len(table.primary_key) == 1
        )
    }


@pytest.mark.parametrize("name", sorted(ALL_SQL))
def test_each_insert_and_update_names_real_columns_and_every_required_one(name: str) -> None:
    """An INSERT names only columns of its table and all the NOT NULL ones; an UPDATE too."""
    sql = ALL_SQL[name]
    for table_name, columns in _INSERT.findall(sql):
        table = TABLES[table_name]
        named = {c.strip() for c in columns.split(",")}
        assert named <= set(table.columns.keys()), named - set(table.columns.keys())
        assert required_columns(table) <= named, required_columns(table) - named
    for table_name, assignments in _UPDATE.findall(sql):
        named = {a.split("=")[0].strip() for a in assignments.split(",")}
        assert named <= set(TABLES[table_name].columns.keys())


def test_hand_written_status_literals_are_invitation_statuses() -> None:
    """A status written into SQL text is one of the enum's values, never a typo.

    The only other literals are the filter lists' dimensions, each a response column.
    """
    quoted = {m for sql in ALL_SQL.values() for m in re.findall(r"'([a-z_]+)'", sql)}
    assert quoted
    assert set(KNOWN_DIMENSIONS) <= set(TABLES["response"].columns.keys())
    assert quoted - set(KNOWN_DIMENSIONS) <= {s.value for s in InvitationStatus}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def schema(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """SQLite made from the SQLModel metadata itself; PostgreSQL as the migrations made it."""
    if request.param == "sqlite":
        engine = make_engine("sqlite://")
        SQLModel.metadata.create_all(engine)
    else:
        engine = make_engine(request.getfixturevalue("postgres_url"))
    yield engine
    engine.dispose()


def explain(conn: Connection, sql: str) -> None:
    postgres = conn.dialect.name == "postgresql"
    codec = Codec.of(conn.dialect)
    params = {}
    for name in NAMED_PARAM.findall(dialect_sql(sql, postgres=False)):
        value = SAMPLE.get(name, "x")
        if isinstance(value, datetime):
            value = codec.timestamp_in(value)
        elif isinstance(value, list):
            value = codec.json_in(value)
        params[name] = value
    cursor = conn.connection.cursor()
    cursor.execute("EXPLAIN " + dialect_sql(sql, postgres), params)


@pytest.mark.parametrize("name", sorted(ALL_SQL))
def test_each_statement_is_accepted_by_the_database(schema: Engine, name: str) -> None:
    """The database itself resolves every table and column a statement names (EXPLAIN)."""
    with schema.connect() as conn:
        explain(conn, ALL_SQL[name])
        conn.rollback()


@pytest.mark.parametrize("name", sorted(set(deferred.STATEMENTS) - {"claimable_locked"}))
def test_each_deferred_call_statement_is_accepted_by_the_database(
    schema: Engine, name: str
) -> None:
    """The drainer's plain SQL too, each in the form its dialect runs."""
    with schema.connect() as conn:
        explain(conn, deferred.statement(name, postgres=conn.dialect.name == "postgresql"))
        conn.rollback()


def test_a_statement_naming_a_missing_column_is_caught(schema: Engine) -> None:
    """The check above is not vacuous: a column the tables lack is refused."""
    with schema.connect() as conn:
        with pytest.raises(conn.dialect.loaded_dbapi.Error):
            explain(conn, "UPDATE invitation SET nonexistent = :iid WHERE id = :iid")
        conn.rollback()


def test_the_hot_path_writes_timestamps_exactly_as_the_orm_does() -> None:
    """SQLite: the plain-SQL path's timestamps read back the same, and sort like the ORM's."""
    from datetime import timedelta, timezone  # noqa: PLC0415

    from scoring.raw_sql import Codec  # noqa: PLC0415

    dialect = sa.create_engine("sqlite://").dialect
    column = TABLES["invitation"].c.expires_at.type.dialect_impl(dialect)
    orm = column.bind_processor(dialect)
    assert orm is not None
    moments = [NOW, NOW.replace(microsecond=0), NOW.astimezone(timezone(timedelta(hours=-5)))]
    moments.append(NOW.astimezone(timezone(timedelta(hours=14))) + timedelta(microseconds=7))
    for moment in moments:
        assert Codec.of(dialect).timestamp_in(moment) == orm(moment)
