"""CLI wrapper for `render`: the plugin's pages written to a folder, without MkDocs."""

from __future__ import annotations

from pathlib import Path

import click

from guide_builder.site.build import SiteOptions, options_from_mkdocs_yml, render_site
from guide_builder.site.renderer import Renderer


def run(
    out: Path,
    data: Path | None = None,
    config: Path | None = None,
    templates_dir: Path | None = None,
) -> list[Path]:
    """Render every language into `out` in the site's layout (default language at the root,
    others under <lang>/) and return the files written."""
    if config is not None:
        options = options_from_mkdocs_yml(config, data=data, templates_dir=templates_dir)
    else:
        options = SiteOptions(data=data or Path("measurements"), templates_dir=templates_dir)
    rendered = render_site(options)
    renderer = Renderer(options.languages, options.templates_dir, options.directory_urls)
    return renderer.write(rendered, out)


def _existing(flag: str, help: str, folder: bool = True):
    """An optional path option that must exist: a folder, or a file when `folder` is False."""
    kind = click.Path(exists=True, file_okay=not folder, dir_okay=folder, path_type=Path)
    return click.option(flag, type=kind, default=None, help=help)


@click.command("render")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the Markdown pages, chart JSON and downloads into.",
)
@_existing(
    "--data", "Measurements root (default: the plugin's `data_dir` option, else ./measurements)."
)
@_existing(
    "--config",
    "mkdocs.yml whose guide-builder options (data_dir, analysis, languages) to use.",
    folder=False,
)
@_existing("--templates-dir", "Folder of templates that override the package's own.")
def render_command(
    out: Path, data: Path | None, config: Path | None, templates_dir: Path | None
) -> None:
    """Write the guide's pages (both languages) as Markdown into a folder.

    Exits 1 with the problems listed (file:row:column: message) when the
    measurements or the options in mkdocs.yml are invalid.
    """
    if config is None and Path("mkdocs.yml").is_file():
        config = Path("mkdocs.yml")
    written = run(out, data=data, config=config, templates_dir=templates_dir)
    pages = sum(1 for p in written if p.suffix == ".md")
    click.echo(f"wrote {pages} pages ({len(written)} files) to {out}")
