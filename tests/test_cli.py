"""The command line explains itself and the shipped data is valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
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


# -- render --config reads mkdocs.yml as MkDocs does; user errors are one line, exit 1 -----

FIXTURE = REPO / "tests" / "fixtures" / "site_data"


def write_config(folder: Path, body: str) -> Path:
    path = folder / "mkdocs.yml"
    path.write_text(body, encoding="utf-8")
    return path


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    # a SystemExit is how click exits; any other exception would be a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            "languages: [fr]",
            "guide-builder option 'languages': Expected one of: ('zh', 'en') but received: 'fr'",
        ),
        ("data_dir: 5", "guide-builder option 'data_dir': Expected type: <class 'str'>"),
        ("dta_dir: x", "guide-builder option 'dta_dir': Unrecognised configuration name: dta_dir"),
    ],
)
def test_render_refuses_a_bad_plugin_option_in_one_line(
    tmp_path: Path, options: str, message: str
) -> None:
    config = write_config(
        tmp_path, f"site_name: x\nstrict: true\nplugins:\n  - guide-builder:\n      {options}\n"
    )
    result = invoke("render", "--out", str(tmp_path / "out"), "--config", str(config))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {config}: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_render_config_follows_inherit_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guide_builder.site.build import options_from_mkdocs_yml

    write_config(
        tmp_path,
        "site_name: x\nuse_directory_urls: false\nplugins:\n  - search\n  - guide-builder:\n"
        "      data_dir: !ENV [GUIDE_DATA, nowhere]\n      languages: [en]\n",
    )
    child = tmp_path / "site"
    child.mkdir()
    (child / "mkdocs.yml").write_text("INHERIT: ../mkdocs.yml\nsite_name: y\n", encoding="utf-8")
    monkeypatch.setenv("GUIDE_DATA", str(FIXTURE))
    options = options_from_mkdocs_yml(child / "mkdocs.yml")
    assert options.data == FIXTURE
    assert options.languages == ("en",)
    assert options.directory_urls is False


def test_render_of_bad_data_lists_the_problems_without_a_traceback(tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data)
    gpus = data / "catalog" / "gpus.csv"
    gpus.write_text(gpus.read_text(encoding="utf-8").replace(",Ada,AD102,128,", ",Ada,AD102,inf,"))
    result = invoke("render", "--out", str(tmp_path / "out"), "--data", str(data))
    assert result.exit_code == 1
    assert f"{gpus}:" in result.stderr and ":sm_count: infinite value inf" in result.stderr
    assert "Traceback" not in result.stderr
