"""The `guide-builder` command: a click group of thin wrappers over plain `run(...)` functions."""

from __future__ import annotations

import click

from guide_builder import __version__
from guide_builder.errors import GuideError
from guide_builder.measure.command import (
    count_flops_command,
    count_memory_command,
    measure_command,
)
from guide_builder.site.command import render_command
from guide_builder.validate import validate_command


class _Group(click.Group):
    """Prints a `GuideError` as its message alone (no traceback) and exits 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GuideError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="guide-builder")
def cli() -> None:
    """Build an evidence-based GPU buyer's guide for local text-to-image models.

    \b
    Typical flow:
      guide-builder measure --weights synthetic     # on a test bench with NVIDIA GPUs
      guide-builder validate measurements/          # check every CSV against the schema
      guide-builder render --out build/pages        # write the guide's pages as Markdown
      mkdocs build                                  # publish (the plugin renders the same pages)
    """


cli.add_command(validate_command)
cli.add_command(measure_command)
cli.add_command(count_flops_command)
cli.add_command(count_memory_command)
cli.add_command(render_command)


def main() -> None:
    cli()
