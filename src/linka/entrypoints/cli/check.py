"""`linka check`: the effective configuration (secrets masked), its problems, and the database's state."""

from __future__ import annotations

import click

from linka.entrypoints.cli.common import load_settings, migration_state, with_database


@click.command()
def check() -> None:
    """Show the configuration and whether Linka can run with it; exit non-zero when it cannot."""
    settings = load_settings()
    click.echo("configuration:")
    shown = settings.masked()
    width = max(len(name) for name in shown)
    for name, value in shown.items():
        click.echo(f"  {name.ljust(width)}  {value}")
    wrong = [f"configuration: {problem}" for problem in settings.problems()]
    try:
        current, heads, pending = with_database(settings, migration_state)
    except Exception as exc:  # report any driver error as a finding
        wrong.append(f"database: unreachable ({type(exc).__name__}: {exc})")
    else:
        click.echo("database: reachable")
        if pending:
            at = ", ".join(sorted(current)) or "nothing"
            wrong.append(
                f"migrations: the database is at {at}, the code at {', '.join(sorted(heads))}: "
                "run `linka migrate`"
            )
        else:
            click.echo(f"migrations: current ({', '.join(sorted(heads))})")
    if wrong:
        click.echo("problems:", err=True)
        for line in wrong:
            click.echo(f"  - {line}", err=True)
        raise SystemExit(1)
    click.echo("all good")
