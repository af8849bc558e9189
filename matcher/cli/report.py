"""`matcher report RUN_DIR`: the weekly overview of a run folder as one HTML page (and a PDF).

The page (matcher.report.overview) needs nothing from outside: it can be mailed, opened offline
and printed on A4. `--pdf` prints it with a headless Chromium next to the HTML; without a browser
that is a clear message and exit code 1 (the HTML is still written).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from matcher.cli.options import InputError
from matcher.i18n import _
from matcher.report.overview import EXPLAIN_MAX


@click.command(
    "report",
    help=_(
        "The weekly overview of a run folder written by `matcher solve`, as one HTML page (and with "
        "--pdf a PDF): levels and their proof, matches per gemeente and corporatie, a map of wijk "
        "loads, unmatched clients with the smallest change, unused units, the ledger's effects."
    ),
)
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=_("the HTML file to write; default: RUN_DIR/overview.html"),
)
@click.option("--pdf", is_flag=True, help=_("also print the page to a PDF beside it (needs Chromium)"))
@click.option(
    "--explain-max",
    type=click.IntRange(min=0),
    default=EXPLAIN_MAX,
    show_default=True,
    help=_("unmatched clients, by priority, for whom the smallest change is searched"),
)
def report(run_dir: Path, out_path: Path | None, pdf: bool, explain_max: int) -> None:
    """Write the overview (matcher.report.overview.write_overview) and, with --pdf, print it."""
    from matcher.io.run_folder import RunFolderRefused
    from matcher.report.overview import write_overview
    from matcher.report.pdf import PdfFailed, find_browser, no_browser_message, print_pdf

    browser = find_browser() if pdf else None
    try:
        written = write_overview(run_dir, out_path, explain_max=explain_max)
    except RunFolderRefused as refused:
        lines = [_("cannot use the run folder {folder}:", folder=run_dir)]
        lines += [f"  - {problem}" for problem in refused.problems]
        raise InputError("\n".join(lines)) from None
    click.echo(_("Weekly overview written to {file}", file=written))
    if not pdf:
        return
    if browser is None:
        click.echo(no_browser_message(), err=True)
        sys.exit(1)
    try:
        printed = print_pdf(written, written.with_suffix(".pdf"), browser)
    except PdfFailed as failed:
        click.echo(_("no PDF: {reason}", reason=failed), err=True)
        sys.exit(1)
    click.echo(_("PDF written to {file}", file=printed))
