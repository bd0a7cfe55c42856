"""The command line explains itself and the shipped data is valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from guide_builder.cli import cli
from guide_builder.dataset import check

REPO = Path(__file__).resolve().parents[1]


def test_group_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("measure", "validate", "render", "count-flops"):
        assert command in result.stdout
    assert "Typical flow" in result.stdout


def test_every_option_has_help() -> None:
    """Every option of every subcommand says what it does."""
    for name, command in cli.commands.items():
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{name} {param.opts} has no help"


def test_console_script_runs_without_importing_torch() -> None:
    """`--help` must work on a site-only install (no torch)."""
    code = (
        "import sys; from guide_builder.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit: pass\n"
        "assert 'torch' not in sys.modules, 'torch imported by the CLI'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_shipped_measurements_are_valid() -> None:
    dataset, problems = check(REPO / "measurements")
    assert problems == []
    assert len(dataset.gpus) >= 18
    assert len(dataset.reported) > 0
