"""`linka bench seed|run`: the benchmarks in the repository's `bench/` folder (a source checkout, not
the installed package: benchmarks are for the people who build and tune Linka). Each subcommand passes
its arguments to the bench module, so `linka bench seed --help` and `python -m bench.seed --help` are
the same."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import click

import linka

PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


def _bench_module(name: str) -> ModuleType:
    """bench.<name>, found beside the source tree of this linka (an editable install)."""
    checkout = Path(linka.__file__).resolve().parents[2]
    if (checkout / "bench" / "__init__.py").exists() and str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    try:
        return importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("bench", f"bench.{name}"):
            raise
        raise click.ClickException(
            "linka bench needs a source checkout of Linka (the bench/ folder is not part of the "
            "installed package): run it from the repository's venv"
        ) from exc


@click.group()
def bench() -> None:
    """Benchmarks: build a large workspace, then load-test a running Linka against it."""


@bench.command(context_settings=PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def seed(args: tuple[str, ...]) -> None:
    """Fill a database with a realistic workspace (default 1,000,000 tickets on PostgreSQL). --help for options."""
    _bench_module("seed").main(list(args))


@bench.command(context_settings=PASS_THROUGH, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run(args: tuple[str, ...]) -> None:
    """Start Linka as production runs it and drive the load scenarios. --help for options."""
    _bench_module("run").main(list(args))
