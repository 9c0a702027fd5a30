"""The console channel: answer a survey in a terminal, through the same service as any channel."""

from __future__ import annotations

from typing import TextIO

from flows.render import Reply
from flows.service import Inbound, NewInvitation, SurveyService, UnknownFlow
from scoring.channels import ANY_TEXT, Channel, ChannelSpec

# A terminal session: live like a call, typed like a chat, never sent to anyone.
CONSOLE = ChannelSpec(Channel.CONSOLE, ANY_TEXT, sendable=False)


def _show(replies: list[Reply], out: TextIO) -> None:
    for reply in replies:
        out.write(f"bot> {reply.text}\n")
    out.flush()


def run_console_survey(
    service: SurveyService, flow_id: str, *, locale: str, who: str, inp: TextIO, out: TextIO
) -> int:
    """Ask, read answers line by line until the conversation ends. Returns an exit code."""
    try:
        invitation, replies = service.start_now(
            NewInvitation(Channel.CONSOLE, who, flow_id=flow_id, locale=locale, test=True)
        )
    except UnknownFlow as exc:
        out.write(f"error: {exc}\n")
        return 2
    out.write(
        "(a test survey: its answers stay out of reports, exports and alerts; "
        "`surveybot test-answers purge` deletes them)\n"
    )
    _show(replies, out)
    while replies and not _over(replies):
        out.write("you> ")
        out.flush()
        line = inp.readline()
        if not line:
            out.write("\n(no more input; the survey stays open)\n")
            return 1
        outcome = service.receive(
            Inbound(Channel.CONSOLE, who, line.rstrip("\r\n"), invitation_id=invitation.public_id)
        )
        replies = outcome.replies
        _show(replies, out)
    stored = service.get_invitation(invitation.public_id)
    out.write(f"(survey {stored.public_id}: {stored.status})\n")
    return 0


def _over(replies: list[Reply]) -> bool:
    return replies[-1].expects.value == "nothing"
