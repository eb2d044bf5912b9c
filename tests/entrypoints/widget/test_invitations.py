"""Proactive invitations as the visitor's widget receives them: a rule on the page the visitor is on (in
their language, once per visit, again on a new visit), a time-on-site rule after the time (real time: the
socket's timer sleeps), none while chatting, and an agent's own invitation, which only agents who take
the button's chats may send. Real sockets against the served app."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from linka.core.clock import FrozenClock
from linka.core.errors import Forbidden, Invalid, NotFound
from linka.core.permissions import SYSTEM, Actor, DepartmentRole, Origin
from linka.domains.accounts import actions as accounts
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from linka.domains.chat import button_actions, visitor_actions
from linka.entrypoints.runtime import Runtime
from tests.entrypoints.widget.chat_helpers import SITE, VisitorSocket, visitor_socket
from tests.entrypoints.widget.visitor_checks import visitor_row
from tests.personas import Person, Personas
from tests.served_app import Served
from tests.served_app import served as served

PRICING = f"{SITE}/pricing"
THRESHOLD = 3  # seconds on the site: real time, the socket's timer sleeps
SHOP = f"{SITE}/shop"


async def add_rule(
    runtime: Runtime, personas: Personas, conditions: list[dict[str, Any]], message: dict[str, str]
) -> None:
    async with runtime.uow(SYSTEM) as uow:
        await button_actions.create_invitation_rule(
            uow,
            button_id=personas.support_chat_button.id,
            name="test rule",
            conditions=conditions,
            message=message,
        )


async def actor_of(runtime: Runtime, person: Person) -> Actor:
    async with runtime.db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await build_actor(session, agent, origin=Origin.WEB)


async def first_frame_after_welcome(visitor: VisitorSocket) -> dict[str, Any]:
    assert visitor.received == []
    return dict(json.loads(await visitor.connection.recv()))


async def test_a_visitor_on_a_matching_page_is_invited_in_their_language_once_per_visit(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    button = personas.support_chat_button.public_id
    await add_rule(
        runtime,
        personas,
        [{"field": "page_url", "op": "contains", "value": "/PRICING"}],
        {"en": "Questions about our prices?", "cs": "Máte otázky k cenám?"},
    )
    async with visitor_socket(served, button, page=PRICING, language="cs") as czech:
        invitation = await first_frame_after_welcome(czech)
        assert invitation == {"type": "invitation", "text": "Máte otázky k cenám?", "agent": None}
        token = czech.welcome["token"]
    assert (await visitor_row(runtime, czech.welcome["visitor"])).invited_at == frozen_clock.now()

    async with visitor_socket(served, button, page=PRICING, language="hu") as hungarian:
        # No Hungarian text: the English one.
        assert (await hungarian.next_of("invitation"))["text"] == "Questions about our prices?"

    async with visitor_socket(served, button, page=SHOP) as elsewhere:
        await elsewhere.nothing_of("invitation")
        # Moving to a matching page without reloading: invited there.
        await elsewhere.send({"type": "page", "page": {"url": PRICING + "?plan=team", "title": "Pricing"}})
        assert (await elsewhere.next_of("invitation"))["text"] == "Questions about our prices?"
        await elsewhere.send({"type": "page", "page": {"url": PRICING + "/compare"}})
        await elsewhere.nothing_of("invitation")

    frozen_clock.advance(minutes=10)
    async with visitor_socket(served, button, token=token, page=PRICING, language="cs") as again:
        await again.nothing_of("invitation")  # the same visit: invited once

    frozen_clock.advance(minutes=31)
    async with visitor_socket(served, button, token=token, page=PRICING, language="cs") as later:
        assert (await later.next_of("invitation"))["text"] == "Máte otázky k cenám?"  # a new visit


async def test_no_invitation_while_the_visitor_is_chatting(
    served: Served, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    button = personas.support_chat_button.public_id
    await add_rule(
        runtime,
        personas,
        [{"field": "page_url", "op": "contains", "value": "/pricing"}],
        {"en": "Questions about our prices?"},
    )
    async with visitor_socket(served, button, page=SHOP) as visitor:
        await visitor.start("Hello")
        await visitor.send({"type": "page", "page": {"url": PRICING}})
        await visitor.nothing_of("invitation")
        async with visitor_socket(served, button, token=visitor.welcome["token"], page=PRICING) as tab:
            await tab.nothing_of("invitation")
    assert (await visitor_row(runtime, visitor.welcome["visitor"])).invited_at is None


async def test_a_time_on_site_rule_invites_after_the_time_once_and_not_a_visitor_who_started_chatting(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    await add_rule(
        runtime,
        personas,
        [
            {"field": "page_url", "op": "starts_with", "value": SHOP},
            {"field": "time_on_site", "op": "at_least", "value": THRESHOLD},
        ],
        {"en": "Still looking? We can help."},
    )
    # A visitor whose timer runs in one tab starts a chat in another before it fires.
    async with (
        visitor_socket(served, button, page=SHOP) as waiting,
        visitor_socket(served, button, token=waiting.welcome["token"], page=SHOP) as tab,
    ):
        await tab.start("I have a question already")
        async with visitor_socket(served, button, page=SHOP) as chatting:
            await chatting.start("Me too")  # their own timer stops when they start
            async with visitor_socket(served, button, page=SHOP) as browsing:
                arrived = time.monotonic()  # the welcome comes after the visit is recorded
                async with visitor_socket(served, button, page=f"{SITE}/about") as reading:
                    invitation = await browsing.next_of("invitation", wait=THRESHOLD + 4)
                    assert time.monotonic() - arrived >= THRESHOLD - 0.2
                    assert invitation == {
                        "type": "invitation",
                        "text": "Still looking? We can help.",
                        "agent": None,
                    }
                    await browsing.send({"type": "page", "page": {"url": f"{SHOP}/cart"}})
                    await browsing.nothing_of("invitation", wait=THRESHOLD + 0.5)  # once per visit
                    await reading.nothing_of("invitation", wait=0.1)  # not on a page the rule names
                    for chatting_visitor in (chatting, waiting, tab):
                        await chatting_visitor.nothing_of("invitation", wait=0.1)


async def test_an_agent_invites_a_visitor_on_the_site(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    sara = personas.support_agent
    async with visitor_socket(served, personas.support_chat_button.public_id, page=SHOP) as visitor:
        await visitor.nothing_of("invitation")
        async with runtime.uow(await actor_of(runtime, sara)) as uow:
            await visitor_actions.invite_visitor(
                uow, visitor_public_id=visitor.welcome["visitor"], text="  Můžu vám s něčím pomoci?  "
            )
        invitation = await visitor.next_of("invitation")
        assert invitation == {
            "type": "invitation",
            "text": "Můžu vám s něčím pomoci?",
            "agent": {"name": sara.name},
        }
        assert (await visitor_row(runtime, visitor.welcome["visitor"])).invited_at is not None

        with pytest.raises(Invalid):
            async with runtime.uow(await actor_of(runtime, sara)) as uow:
                await visitor_actions.invite_visitor(
                    uow, visitor_public_id=visitor.welcome["visitor"], text=" "
                )
        await visitor.start("Yes please")
        with pytest.raises(Invalid):  # already chatting
            async with runtime.uow(await actor_of(runtime, sara)) as uow:
                await visitor_actions.invite_visitor(
                    uow, visitor_public_id=visitor.welcome["visitor"], text="Hello?"
                )
        await visitor.nothing_of("invitation")


async def test_only_agents_who_take_the_buttons_chats_may_invite(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    async def invite(person: Person, visitor: str) -> None:
        async with runtime.uow(await actor_of(runtime, person)) as uow:
            await visitor_actions.invite_visitor(uow, visitor_public_id=visitor, text="Hi!")

    async with visitor_socket(served, personas.support_chat_button.public_id, page=SHOP) as visitor:
        public_id = visitor.welcome["visitor"]
        # Of another department (a reader of Sales, a solver there): the visitor is not theirs to see.
        for person in (personas.sales_reader, personas.sales_agent):
            with pytest.raises(NotFound):
                await invite(person, public_id)
        # A reader of Support sees the visitor but takes no chats there.
        async with runtime.uow(SYSTEM) as uow:
            await accounts.set_membership(
                uow,
                department_id=personas.departments["support"],
                agent_id=personas.sales_reader.id,
                role=DepartmentRole.READER,
            )
        with pytest.raises(Forbidden):
            await invite(personas.sales_reader, public_id)
        with pytest.raises(NotFound):  # nobody by that id on the site
            await invite(personas.support_agent, "vi_nobody")
        await visitor.nothing_of("invitation")
    assert (await visitor_row(runtime, public_id)).invited_at is None
