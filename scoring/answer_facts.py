"""Facts about an answer's contact, stored on the response when it is written.

Reports used to join every response to its invitation to read them: the delay from the send
(response bias), the first agent and team of the chain (`first` attribution) and the effort
drivers (transfers, channel switches, teams involved). The invitation's chain is stored as
sent and never rewritten, and its send time is set before any answer, so each fact is fixed
once the answer exists: stored, the reports read the response alone.

The answer's INSERT computes them from the invitation (subqueries in the one statement, no
extra one); `fill_answer_facts` fills them in for rows written straight into the table (the
migration, the demo data, bulk loads). Both use the expressions below, which are the ones the
reports computed when read (tests/integration/test_answer_facts.py holds them side by side).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# The stored columns, in the order the statements below name them.
COLUMNS = (
    "answer_delay_seconds",
    "first_agent",
    "first_team",
    "transfers",
    "channel_switches",
    "teams_involved",
)


def delay_sql(answered_at: str, sent_at: str, *, postgres: bool) -> str:
    """Whole seconds from `sent_at` to `answered_at` as SQL; NULL when never sent.

    PostgreSQL floors the exact interval. SQLite stores UTC text that julianday() reads as a
    float in days: rounded to the second, as 13 minutes would otherwise read 12.99999.
    """
    if postgres:
        return f"CAST(floor(extract(epoch FROM ({answered_at} - {sent_at}))) AS INTEGER)"
    return f"CAST((julianday({answered_at}) - julianday({sent_at})) * 86400 + 0.5 AS INTEGER)"


def fact_sql(*, inv: str, answered_at: str, agent: str, team: str, postgres: bool) -> list[str]:
    """Each column of `COLUMNS` as SQL over the invitation `inv` (a table name or alias).

    `answered_at`, `agent` and `team` are the answer's own values (a parameter or a column).
    """
    if postgres:
        first = "CAST({inv}.{chain} ->> 0 AS VARCHAR)"
        elements = "jsonb_array_elements_text"
    else:
        first = "CAST(json_extract({inv}.{chain}, '$[0]') AS VARCHAR)"
        elements = "json_each"
    return [
        delay_sql(answered_at, f"{inv}.sent_at", postgres=postgres),
        # A row from before chains were stored has only the single column.
        f"COALESCE({first.format(inv=inv, chain='agents')}, {agent})",
        f"COALESCE({first.format(inv=inv, chain='teams')}, {team})",
        f"{inv}.transfers",
        f"{inv}.channel_switches",
        # No team named: unknown, not "0 teams".
        f"NULLIF((SELECT count(DISTINCT m.value) FROM {elements}({inv}.teams) AS m), 0)",  # noqa: S608
    ]


def insert_sql(*, postgres: bool) -> str:
    """The VALUES of `COLUMNS` for the answer's INSERT: one subquery each on its invitation."""
    params = (
        ("CAST(:answered_at AS timestamptz)", "CAST(:agent AS VARCHAR)", "CAST(:team AS VARCHAR)")
        if postgres
        else (":answered_at", ":agent", ":team")
    )
    facts = fact_sql(
        inv="invitation",
        answered_at=params[0],
        agent=params[1],
        team=params[2],
        postgres=postgres,
    )
    # Built from constants only; the answer's values travel as bound parameters.
    sql = "(SELECT {} FROM invitation WHERE id = :invitation_id)"
    return ", ".join(sql.format(fact) for fact in facts)


def fill_answer_facts(conn: Connection) -> int:
    """Store the facts of every response that has none yet (its first agent is unset).

    And the filter lists' values (`fill_known_values`): all an answer's statements store.
    """
    postgres = conn.dialect.name == "postgresql"
    facts = fact_sql(
        inv="invitation",
        answered_at="response.answered_at",
        agent="response.agent",
        team="response.team",
        postgres=postgres,
    )
    # A response with neither an agent nor a chain keeps NULL and is recomputed: harmless.
    pending = "response.first_agent IS NULL"
    if postgres:
        assignments = ", ".join(f"{c} = {f}" for c, f in zip(COLUMNS, facts, strict=True))
        sql = (
            f"UPDATE response SET {assignments} FROM invitation "  # noqa: S608
            f"WHERE invitation.id = response.invitation_id AND {pending}"
        )
    else:
        values = ", ".join(facts)
        sql = (
            f"UPDATE response SET ({', '.join(COLUMNS)}) = (SELECT {values} "  # noqa: S608
            f"FROM invitation WHERE invitation.id = response.invitation_id) WHERE {pending}"
        )
    filled = int(conn.execute(sa.text(sql)).rowcount)
    fill_known_values(conn)
    return filled


# The response columns whose values the dashboard's filter lists offer (table `known_value`).
KNOWN_DIMENSIONS = ("channel", "agent", "team", "queue", "journey_stage", "locale")
# One statement per real answer: each of its values, unless already known.
_KNOWN_ROWS = ", ".join(f"('{d}', :{d})" for d in KNOWN_DIMENSIONS)
NOTE_KNOWN_VALUES = (
    "INSERT INTO known_value (dimension, value) SELECT column1, column2 "  # noqa: S608
    f"FROM (VALUES {_KNOWN_ROWS}) AS answer WHERE column2 IS NOT NULL ON CONFLICT DO NOTHING"
)


def fill_known_values(conn: Connection) -> None:
    """The filter lists' values of every real response, for rows written straight in."""
    for dimension in KNOWN_DIMENSIONS:
        conn.execute(
            sa.text(
                "INSERT INTO known_value (dimension, value) "  # noqa: S608
                f"SELECT DISTINCT '{dimension}', {dimension} FROM response "
                f"WHERE is_test = :no AND {dimension} IS NOT NULL ON CONFLICT DO NOTHING"
            ),
            {"no": False},
        )
