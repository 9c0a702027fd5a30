"""Migrations on a database that already holds data."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from scoring.db import make_engine
from scoring.migrate import upgrade

_NOW = "2026-11-30 12:00:00"


def test_outbound_messages_are_keyed_per_chat_after_the_upgrade(tmp_path: Path) -> None:
    """The message-keys migration fills in each message's contact; two chats may share an id."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0003")
    with engine.begin() as conn:
        for n in (1, 2):
            conn.execute(
                sa.text(
                    "INSERT INTO contact (id, channel, address, pseudonym, created_at) "
                    "VALUES (:n, 'telegram', :addr, :p, :now)"
                ),
                {"n": n, "addr": f"10{n}", "p": f"p{n}", "now": _NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO invitation (id, public_id, flow_id, channel, contact_id, locale, "
                    "tags, status, created_at) VALUES "
                    "(:n, :pid, 'nps', 'telegram', :n, 'nl', '[]', 'open', :now)"
                ),
                {"n": n, "pid": f"00000000-0000-0000-0000-00000000000{n}", "now": _NOW},
            )
        conn.execute(
            sa.text(
                "INSERT INTO outboundmessage (invitation_id, channel, kind, provider_message_id, "
                "status, created_at, updated_at) "
                "VALUES (1, 'telegram', 'question', '2', 'sent', :now, :now)"
            ),
            {"now": _NOW},
        )

    upgrade(engine)

    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO outboundmessage (invitation_id, contact_id, channel, kind, "
                "provider_message_id, status, created_at, updated_at) "
                "VALUES (2, 2, 'telegram', 'question', '2', 'sent', :now, :now)"
            ),
            {"now": _NOW},
        )
        stored = conn.execute(
            sa.text(
                "SELECT contact_id, provider_message_id, buttons_live FROM outboundmessage "
                "ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in stored] == [(1, "2", 0), (2, "2", 0)]
