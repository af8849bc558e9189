"""`matcher audit` (re-run a proposal and confirm it) and `matcher redact` (share an instance safely)."""

from __future__ import annotations

from pathlib import Path

import click

EXIT_CONFIRMED, EXIT_DIFFERS, EXIT_BAD_INPUT = 0, 1, 2


@click.command("audit")
@click.argument("out_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--instance",
    "instance",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="the instance (folder or .xlsx) the proposal in DIR was made from",
)
@click.pass_context
def audit(ctx: click.Context, out_dir: Path, instance: Path) -> None:
    """Re-run the proposal in DIR from its summary.json and confirm it comes out the same.

    Exit 0: confirmed. 1: it differs (the inputs are not the ones recorded, or summary.json was
    edited after the run). 2: it cannot be audited (no summary.json, or one that is damaged or not
    what `matcher solve` writes; a run with a time limit; an invalid instance).
    """
    from matcher import audit_proposal as audit_run

    ctx.meta["instance"] = str(instance)
    report = audit_run(out_dir, instance)
    if report.status == "refused":
        click.echo(f"cannot audit {out_dir}: {report.reason}", err=True)
        ctx.exit(EXIT_BAD_INPUT)
    for check in report.checks:
        click.echo(f"  {'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    for warning in report.warnings:
        click.echo(f"  note {warning}")
    if report.confirmed:
        click.echo(f"confirmed: re-running {instance} reproduces the proposal in {out_dir}")
        ctx.exit(EXIT_CONFIRMED)
    if report.reason:  # summary.json itself was edited: nothing was re-run with its values
        click.echo(f"DIFFERS: {report.reason}")
    else:
        click.echo(f"DIFFERS: the proposal in {out_dir} is not what {instance} gives now")
    ctx.exit(EXIT_DIFFERS)


@click.command("redact")
@click.argument("instance", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="new folder for the redacted copy"
)
@click.option(
    "--key",
    default=None,
    envvar="MATCHER_REDACT_KEY",
    help="secret that fixes the pseudonyms (same key, same pseudonyms); "
    "default: a random one, used once. Also read from MATCHER_REDACT_KEY.",
)
@click.pass_context
def redact(ctx: click.Context, instance: Path, out: Path, key: str | None) -> None:
    """Write a copy of INSTANCE to share with a developer: same structure and solve, ids scrambled."""
    from matcher.audit.redact import redact_instance

    ctx.meta["instance"] = str(instance)
    try:
        redaction = redact_instance(instance, out, key)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from None
    counts = ", ".join(f"{count} {kind} id(s)" for kind, count in redaction.scrambled.items())
    click.echo(f"wrote {out}: {len(redaction.files)} file(s), replaced {counts}")
    if redaction.source_problems:
        click.echo(
            f"note: {instance} has {redaction.source_problems} problem(s) of its own "
            "(`matcher validate` lists them); the copy keeps those not caused by the ids"
        )
    if key is None:
        click.echo(
            "the pseudonyms came from a random key: a later redaction will not match them "
            "(give --key to make them repeatable)"
        )
