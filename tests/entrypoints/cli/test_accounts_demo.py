"""`linka createowner` makes an owner who can sign in; `linka demo` builds the demo workspace once."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from linka.core.db import Database
from linka.core.permissions import Origin, system_actor
from linka.core.uow import unit_of_work
from linka.demo import PASSWORD as DEMO_PASSWORD
from linka.domains.accounts import credentials
from linka.domains.accounts.credentials import LoginStep
from linka.domains.accounts.models import Agent, Department, DepartmentMember
from linka.domains.chat.models import ChatButton, InvitationRule
from linka.domains.contacts.models import Company, Contact, ContactEmail, ContactPhone
from tests.entrypoints.cli.conftest import run

OWNER_PASSWORD = "a long owner password"


def log_in(url: str, email: str, password: str) -> Agent:
    async def attempt() -> Agent:
        db = Database(url)
        try:
            async with unit_of_work(db, system_actor(Origin.WEB)) as uow:
                result = await credentials.log_in_with_password(uow, email=email, password=password)
            assert result.step is LoginStep.SIGNED_IN
            return result.agent
        finally:
            await db.dispose()

    return asyncio.run(attempt())


def counts(url: str) -> dict[str, int]:
    async def count() -> dict[str, int]:
        db = Database(url)
        try:
            async with db.read_session() as session:
                found = {}
                for model in (
                    Department,
                    Agent,
                    DepartmentMember,
                    Company,
                    Contact,
                    ContactEmail,
                    ContactPhone,
                    ChatButton,
                    InvitationRule,
                ):
                    total = await session.execute(select(func.count()).select_from(model))
                    found[model.__tablename__] = int(total.scalar_one())
                without_company = await session.execute(
                    select(func.count()).select_from(Contact).where(Contact.company_id.is_(None))
                )
                found["contacts without company"] = int(without_company.scalar_one())
                languages = await session.execute(select(Agent.language).distinct())
                found["agent languages"] = len(languages.all())
                return found
        finally:
            await db.dispose()

    return asyncio.run(count())


def test_createowner_makes_an_owner_who_can_sign_in(linka: CliRunner, migrated: str) -> None:
    result = run(
        linka,
        "createowner",
        "--email",
        "Boss@Firma.example",
        "--name",
        "Božena Šťastná",
        "--password",
        OWNER_PASSWORD,
    )
    assert result.exit_code == 0, result.output
    assert "boss@firma.example" in result.output
    agent = log_in(migrated, "boss@firma.example", OWNER_PASSWORD)
    assert agent.base_role == "owner"
    assert agent.name == "Božena Šťastná"


def test_createowner_reads_the_password_from_the_environment(
    linka: CliRunner, migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKA_OWNER_PASSWORD", OWNER_PASSWORD)
    result = run(linka, "createowner", "--email", "env@firma.example", "--name", "Env Owner")
    assert result.exit_code == 0, result.output
    assert log_in(migrated, "env@firma.example", OWNER_PASSWORD).base_role == "owner"


def test_createowner_asks_for_the_password_twice(linka: CliRunner, migrated: str) -> None:
    typed = f"{OWNER_PASSWORD}\n{OWNER_PASSWORD}\n"
    result = run(linka, "createowner", "--email", "typed@firma.example", "--name", "Typed", input=typed)
    assert result.exit_code == 0, result.output
    assert OWNER_PASSWORD not in result.output  # hidden input
    assert log_in(migrated, "typed@firma.example", OWNER_PASSWORD).base_role == "owner"


def test_createowner_refuses_a_duplicate_email_and_a_weak_password(linka: CliRunner, migrated: str) -> None:
    args = ["createowner", "--email", "boss@firma.example", "--name", "Boss", "--password", OWNER_PASSWORD]
    assert run(linka, *args).exit_code == 0
    duplicate = run(linka, *args[:-1], "another long password")
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output
    assert "Traceback" not in duplicate.output

    weak = run(linka, "createowner", "--email", "weak@firma.example", "--name", "Weak", "--password", "short")
    assert weak.exit_code != 0
    assert "password" in weak.output
    assert counts(migrated)["agents"] == 1


def test_createowner_needs_a_migrated_database(linka: CliRunner, data_dir: object) -> None:
    result = run(
        linka, "createowner", "--email", "a@firma.example", "--name", "A", "--password", OWNER_PASSWORD
    )
    assert result.exit_code != 0
    assert "run `linka migrate`" in result.output


def test_demo_builds_the_workspace_once(linka: CliRunner, migrated: str) -> None:
    result = run(linka, "demo", "--if-empty")
    assert result.exit_code == 0, result.output
    built = counts(migrated)
    assert built["departments"] == 3
    assert built["agents"] == 6
    assert built["companies"] == 5
    assert built["contacts"] == 30
    assert built["contacts without company"] == 0
    assert built["contact_emails"] == 30
    assert 0 < built["contact_phones"] < 30
    assert built["agent languages"] == 3  # Czech, Hungarian and English people
    assert built["department_members"] >= 4
    assert (built["chat_buttons"], built["chat_invitation_rules"]) == (1, 1)  # Support's, for the site
    # The logins it prints work with the one demo password.
    assert DEMO_PASSWORD in result.output
    for email, role in [("owner@linka.example", "owner"), ("admin@linka.example", "admin")]:
        assert email in result.output
        assert log_in(migrated, email, DEMO_PASSWORD).base_role == role

    again = run(linka, "demo", "--if-empty")
    assert again.exit_code == 0, again.output
    assert "skipped" in again.output
    assert counts(migrated) == built

    forced = run(linka, "demo")
    assert forced.exit_code != 0
    assert counts(migrated) == built


def test_demo_if_empty_leaves_a_real_workspace_alone(linka: CliRunner, migrated: str) -> None:
    assert (
        run(
            linka, "createowner", "--email", "boss@firma.example", "--name", "B", "--password", OWNER_PASSWORD
        ).exit_code
        == 0
    )
    result = run(linka, "demo", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "linka.example" not in result.output
    assert counts(migrated)["agents"] == 1
    assert counts(migrated)["contacts"] == 0
