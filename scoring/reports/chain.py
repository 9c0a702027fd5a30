"""The contact as stored on its invitation, read by reports: who handled it, and how much effort.

Attribution (`last`, `first`, `all`) is applied here when a report is read, never when an
answer is stored: the invitation keeps the whole chain of agents and teams as the contact
centre sent it, so switching attribution re-reads the same rows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

import scoring.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from scoring.reports.filters import Attribution, Dimension, Filters

INVITATION: sa.Table = SQLModel.metadata.tables["invitation"]

# The last member of each chain, copied onto the response and the invitation.
SINGLE = {Dimension.AGENT: "agent", Dimension.TEAM: "team"}
CHAIN = {Dimension.AGENT: "agents", Dimension.TEAM: "teams"}
# Effort drivers and the invitation column each counts; teams are counted from the chain.
EFFORT_COLUMN = {Dimension.TRANSFERS: "transfers", Dimension.CHANNEL_SWITCHES: "channel_switches"}
# The same, stored on the response (scoring.answer_facts), and the first member of each chain.
EFFORT_STORED = {**EFFORT_COLUMN, Dimension.TEAMS_INVOLVED: "teams_involved"}
FIRST = {Dimension.AGENT: "first_agent", Dimension.TEAM: "first_team"}
TOP_BUCKET = 3  # 3 and more share one group, "3+"


def elements(dialect: str, column: sa.ColumnElement[Any]) -> sa.TableValuedAlias:
    """A chain column (JSON, JSONB on PostgreSQL) as a table of `value`s."""
    if dialect == "postgresql":
        return sa.func.jsonb_array_elements_text(column).table_valued("value")
    return sa.func.json_each(column).table_valued("value")


def reads_chain(filters: Filters, group_by: Dimension | None) -> bool:
    """Whether a view of responses needs the invitation's stored chain.

    The first agent and team and the effort drivers are stored on the response too (see
    `scoring.answer_facts`): only `all` attribution reads the whole chain.
    """
    if filters.attribution is not Attribution.ALL:
        return False
    return group_by in SINGLE or bool(filters.agents or filters.teams)


def fans_out(filters: Filters, group_by: Dimension | None, dialect: str) -> bool:
    """Rows to de-duplicate: one response in several groups, each counting it once.

    PostgreSQL de-duplicates each chain on its own (a LATERAL DISTINCT of a few elements),
    which is far cheaper than a DISTINCT over every joined row; SQLite has no LATERAL.
    """
    return filters.attribution is Attribution.ALL and group_by in SINGLE and dialect != "postgresql"


def first_member(table: sa.Table, dimension: Dimension) -> sa.ColumnElement[Any]:
    """The chain's first agent (team): stored on the response, read from the invitation's chain."""
    if table is not INVITATION:
        return table.c[FIRST[dimension]]
    # A row from before chains were stored has only the single column.
    chain = INVITATION.c[CHAIN[dimension]]
    return sa.func.coalesce(chain[0].as_string(), table.c[SINGLE[dimension]])


def group_key(
    dialect: str, table: sa.Table, dimension: Dimension, attribution: Attribution
) -> tuple[sa.ColumnElement[Any], sa.FromClause | None]:
    """The agent or team key, and the chain's elements to outer-join when every member counts."""
    if attribution is Attribution.FIRST:
        return first_member(table, dimension), None
    if attribution is Attribution.ALL:
        members: sa.FromClause = elements(dialect, INVITATION.c[CHAIN[dimension]])
        if dialect == "postgresql":
            members = sa.select(members.c.value).select_from(members).distinct().lateral()
        return sa.func.coalesce(members.c.value, table.c[SINGLE[dimension]]), members
    return table.c[SINGLE[dimension]], None


def chain_condition(
    dialect: str,
    table: sa.Table,
    dimension: Dimension,
    values: tuple[str, ...],
    attribution: Attribution,
) -> sa.ColumnElement[bool]:
    """The agent (team) filter under the view's attribution: the rows its groups count."""
    single = table.c[SINGLE[dimension]]
    if attribution is Attribution.FIRST:
        return first_member(table, dimension).in_(values)
    if attribution is Attribution.ALL:
        members = elements(dialect, INVITATION.c[CHAIN[dimension]])
        listed = sa.select(sa.literal(1)).select_from(members).where(members.c.value.in_(values))
        # The single column is the chain's last member, or the whole story of an older row.
        return sa.or_(listed.exists(), single.in_(values))
    return single.in_(values)


def _bucket(count: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.case(
        (count.is_(None), sa.null()),
        (count >= TOP_BUCKET, sa.literal(f"{TOP_BUCKET}+")),
        else_=sa.cast(count, sa.String),
    )


def effort_key(dialect: str, table: sa.Table, dimension: Dimension) -> sa.ColumnElement[Any]:
    """ "0", "1", "2" or "3+" transfers, channel switches or distinct teams; NULL when unknown."""
    if table is not INVITATION:  # stored on the response with the answer
        return _bucket(table.c[EFFORT_STORED[dimension]])
    if dimension in EFFORT_COLUMN:
        return _bucket(INVITATION.c[EFFORT_COLUMN[dimension]])
    members = elements(dialect, INVITATION.c.teams)
    distinct = (
        sa.select(sa.func.count(sa.distinct(members.c.value)))
        .select_from(members)
        .scalar_subquery()
    )
    # No team named: unknown, not "0 teams".
    return _bucket(sa.func.nullif(distinct, 0))
