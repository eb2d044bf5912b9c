"""The README documents every setting and every command, so the docs cannot silently fall behind."""

from __future__ import annotations

from pathlib import Path

from linka.config import Settings
from linka.entrypoints.cli.main import cli

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_lists_every_setting_and_command() -> None:
    text = README.read_text()
    missing = [
        f"LINKA_{name.upper()}" for name in Settings.model_fields if f"`LINKA_{name.upper()}`" not in text
    ]
    assert not missing, f"add these to the configuration table in README.md: {missing}"
    commands = [name for name in cli.commands if f"`linka {name}" not in text]
    assert not commands, f"describe these commands in README.md: {commands}"
