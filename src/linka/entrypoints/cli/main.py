"""The `linka` command group. Each command lives in its own small module."""

from __future__ import annotations

import click

from linka import __version__
from linka.entrypoints.cli.accounts import createowner
from linka.entrypoints.cli.bench import bench
from linka.entrypoints.cli.check import check
from linka.entrypoints.cli.demo import demo
from linka.entrypoints.cli.i18n import i18n
from linka.entrypoints.cli.mail import mail
from linka.entrypoints.cli.migrate import migrate
from linka.entrypoints.cli.serve import serve
from linka.entrypoints.cli.worker import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="linka")
def cli() -> None:
    """Linka, an open-source helpdesk. Configuration comes from LINKA_… environment variables."""


for command in (serve, worker, migrate, createowner, demo, check, mail, i18n, bench):
    cli.add_command(command)


if __name__ == "__main__":  # python -m linka.entrypoints.cli.main
    cli()
