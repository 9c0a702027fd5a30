"""`surveybot whatsapp sync` and `status`: the Content resources at Twilio, mirrored in the DB.

Sync creates what is missing or whose wording changed (an approved template cannot be edited,
so a new wording is a new resource that goes through approval again), submits templates for
WhatsApp approval, and reads back the approval of those already submitted. A SID a flow names
itself (`source = flow`) is never replaced, only its approval read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from bots.twilio.client import Approval, TwilioApiError, TwilioContent
from bots.twilio.content import CATEGORY, SESSION, TEMPLATE, Definition, definitions
from flows.models import Flow
from flows.render import Renderer
from scoring import whatsapp as store
from scoring.scales import LOCALES
from scoring.tables import WhatsAppContent

# Statuses that can still change; approved, rejected, paused and disabled are WhatsApp's word.
_UNDECIDED = frozenset({"unsubmitted", "received", "pending"})


@dataclass(frozen=True, slots=True)
class SyncLine:
    flow_id: str
    locale: str
    purpose: str
    content_sid: str
    status: str
    action: str  # created | kept | submitted | refreshed | failed
    detail: str | None = None


async def sync(
    api: TwilioContent,
    engine: Engine,
    flows: Mapping[str, Flow],
    renderer: Renderer,
    now: Callable[[], datetime],
) -> list[SyncLine]:
    """Create, submit and refresh every flow's content in every locale."""
    stored = {(c.flow_id, c.locale, c.purpose): c for c in store.contents(engine)}
    lines: list[SyncLine] = []
    for flow in sorted(flows.values(), key=lambda f: f.id):
        for locale in LOCALES:
            for definition in definitions(flow, locale, renderer):
                key = (flow.id, locale, definition.purpose)
                try:
                    named = _named(flow, locale, definition.purpose)
                    if named is not None:
                        lines.append(
                            await _named_one(
                                api, engine, definition=definition, sid=named, flow=flow, now=now
                            )
                        )
                        continue
                    lines.append(
                        await _one(
                            api,
                            engine,
                            definition=definition,
                            row=stored.get(key),
                            flow=flow,
                            now=now,
                        )
                    )
                except TwilioApiError as exc:
                    lines.append(
                        SyncLine(flow.id, locale, definition.purpose, "-", "-", "failed", str(exc))
                    )
    return lines


def _named(flow: Flow, locale: str, purpose: str) -> str | None:
    if flow.whatsapp is None:
        return None
    names = {TEMPLATE: flow.whatsapp.template, SESSION: flow.whatsapp.session}.get(purpose, {})
    return names.get(locale)


async def _named_one(
    api: TwilioContent,
    engine: Engine,
    *,
    definition: Definition,
    sid: str,
    flow: Flow,
    now: Callable[[], datetime],
) -> SyncLine:
    """A SID the flow names: stored as it is, with WhatsApp's approval if it is a template."""
    approval = await api.approval(sid) if definition.needs_approval else Approval("unsubmitted")
    store.save_content(
        engine,
        flow_id=flow.id,
        locale=definition.language,
        purpose=definition.purpose,
        content_sid=sid,
        approval_status=approval.status,
        now=now(),
        rejection_reason=approval.rejection_reason,
        source="flow",
    )
    return SyncLine(
        flow.id,
        definition.language,
        definition.purpose,
        sid,
        approval.status,
        "named",
        approval.rejection_reason,
    )


async def _one(
    api: TwilioContent,
    engine: Engine,
    *,
    definition: Definition,
    row: WhatsAppContent | None,
    flow: Flow,
    now: Callable[[], datetime],
) -> SyncLine:
    locale, purpose = definition.language, definition.purpose
    if row is not None and row.source != "flow" and row.definition_hash == definition.digest:
        sid, status, action = row.content_sid, row.approval_status, "kept"
        reason = row.rejection_reason
    else:
        sid = await api.create(
            friendly_name=definition.friendly_name,
            language=locale,
            variables=definition.samples(),
            types=definition.types,
        )
        status, action, reason = "unsubmitted", "created", None
    if definition.needs_approval:
        approval: Approval | None = None
        if status == "unsubmitted":
            approval = await api.submit(sid, name=definition.approval_name(), category=CATEGORY)
            action = "submitted"
        elif status in _UNDECIDED:
            approval = await api.approval(sid)
            action = "refreshed" if approval.status != status else action
        if approval is not None:
            status, reason = approval.status, approval.rejection_reason
    store.save_content(
        engine,
        flow_id=flow.id,
        locale=locale,
        purpose=purpose,
        content_sid=sid,
        approval_status=status,
        now=now(),
        definition_hash=definition.digest,
        rejection_reason=reason,
        source="sync",
    )
    return SyncLine(flow.id, locale, purpose, sid, status, action, reason)


async def refresh(
    api: TwilioContent, engine: Engine, now: Callable[[], datetime]
) -> list[WhatsAppContent]:
    """Read back WhatsApp's decision on every submitted template; the rows as stored."""
    for row in store.contents(engine):
        if row.purpose != TEMPLATE and row.source != "flow":
            continue
        approval = await api.approval(row.content_sid)
        if (
            approval.status != row.approval_status
            or approval.rejection_reason != row.rejection_reason
        ):
            store.save_content(
                engine,
                flow_id=row.flow_id,
                locale=row.locale,
                purpose=row.purpose,
                content_sid=row.content_sid,
                approval_status=approval.status,
                now=now(),
                definition_hash=row.definition_hash,
                rejection_reason=approval.rejection_reason,
                source=row.source,
            )
    return store.contents(engine)
