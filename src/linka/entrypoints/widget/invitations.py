"""Proactive invitations for one open widget: the button's rules are checked when the visitor arrives
and moves to another page, and a timer waits for a time-on-site rule. One invitation per visit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from linka.core import clock
from linka.core.permissions import Actor, Origin
from linka.domains.chat import button_actions, button_queries, queries, visitor_actions
from linka.domains.chat.models import ChatButton, Visitor
from linka.entrypoints.runtime import Runtime


class InvitationTimer:
    def __init__(self, runtime: Runtime, button: ChatButton, push: Callable[[dict[str, Any]], None]) -> None:
        self.runtime, self.button, self.push = runtime, button, push
        self._timer: asyncio.Task[None] | None = None

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def check(self, visitor: Visitor) -> None:
        """Invite now if a rule matches; else wait for the nearest time-on-site threshold."""
        self.cancel()
        if visitor.invited_at is not None and visitor.invited_at >= visitor.visit_started_at:
            return
        async with self.runtime.db.read_session() as session:
            rules = await button_queries.invitation_rules_of(session, self.button.id)
            # Not while chatting: on a page change, or when a timer fires after another tab started one.
            chat = await queries.current_chat_of_visitor(session, visitor.id, clock.now()) if rules else None
        if not rules or (chat is not None and chat.state in queries.RUNNING):
            return
        on_site = int((clock.now() - visitor.visit_started_at).total_seconds())
        rule = button_actions.matching_invitation(
            rules,
            page_url=visitor.page_url,
            referrer=visitor.referrer,
            time_on_site=on_site,
            visits=visitor.visits,
            page_views=visitor.page_views,
        )
        if rule is not None:
            async with self.runtime.uow(Actor(origin=Origin.CHAT, name="Visitor")) as uow:
                await visitor_actions.mark_invited(uow, visitor_id=visitor.id)
            visitor.invited_at = clock.now()
            text = (rule.message or {}).get(visitor.language) or (rule.message or {}).get("en") or ""
            self.push({"type": "invitation", "text": text, "agent": None})
            return
        wait = button_actions.seconds_until_time_rule(
            rules,
            page_url=visitor.page_url,
            referrer=visitor.referrer,
            time_on_site=on_site,
            visits=visitor.visits,
            page_views=visitor.page_views,
        )
        if wait is not None:
            self._timer = asyncio.create_task(self._later(visitor, wait))

    async def _later(self, visitor: Visitor, seconds: int) -> None:
        await asyncio.sleep(seconds)
        self._timer = None
        with contextlib.suppress(Exception):
            await self.check(visitor)
