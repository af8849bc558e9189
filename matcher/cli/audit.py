"""`matcher audit` (re-run a proposal and confirm it) and `matcher redact` (share an instance safely)."""

from __future__ import annotations

from pathlib import Path

import click

from matcher.i18n import _

EXIT_CONFIRMED, EXIT_DIFFERS, EXIT_BAD_INPUT = 0, 1, 2


@click.command(
    "audit",
    help=_(
        "Re-run the proposal in DIR from its summary.json and confirm it comes out the same.\n\n"
        "Exit 0: confirmed. 1: it differs (the inputs are not the ones recorded, or summary.json was "
        "edited after the run). 2: it cannot be audited (no summary.json, or one that is damaged or not "
        "what `matcher solve` writes; a run with a time limit; an invalid instance)."
    ),
)
@click.argument("out_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--instance",
    "instance",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help=_("the instance (folder or .xlsx) the proposal in DIR was made from"),
)
@click.pass_context
def audit(ctx: click.Context, out_dir: Path, instance: Path) -> None:
    """Re-run the proposal in DIR and confirm it comes out the same (help: above, translated)."""
    from matcher import audit_proposal as audit_run

    ctx.meta["instance"] = str(instance)
    report = audit_run(out_dir, instance)
    if report.status == "refused":
        click.echo(_("cannot audit {folder}: {reason}", folder=out_dir, reason=report.reason), err=True)
        ctx.exit(EXIT_BAD_INPUT)
    for check in report.checks:
        mark = _("ok  ") if check.ok else _("FAIL")
        click.echo(f"  {mark} {check.name}: {check.detail}")
    for warning in report.warnings:
        click.echo("  " + _("note {warning}", warning=warning))
    if report.confirmed:
        click.echo(
            _(
                "confirmed: re-running {instance} reproduces the proposal in {folder}",
                instance=instance,
                folder=out_dir,
            )
        )
        ctx.exit(EXIT_CONFIRMED)
    if report.reason:  # summary.json itself was edited: nothing was re-run with its values
        click.echo(_("DIFFERS: {reason}", reason=report.reason))
    else:
        click.echo(
            _(
                "DIFFERS: the proposal in {folder} is not what {instance} gives now",
                folder=out_dir,
                instance=instance,
            )
        )
    ctx.exit(EXIT_DIFFERS)


@click.command(
    "redact",
    help=_("Write a copy of INSTANCE to share with a developer: same structure and solve, ids scrambled."),
)
@click.argument("instance", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help=_("new folder for the redacted copy")
)
@click.option(
    "--key",
    default=None,
    envvar="MATCHER_REDACT_KEY",
    help=_(
        "secret that fixes the pseudonyms (same key, same pseudonyms); "
        "default: a random one, used once. Also read from MATCHER_REDACT_KEY."
    ),
)
@click.pass_context
def redact(ctx: click.Context, instance: Path, out: Path, key: str | None) -> None:
    """Write a redacted copy of INSTANCE (help: above, translated when imported)."""
    from matcher.audit.redact import redact_instance

    ctx.meta["instance"] = str(instance)
    try:
        redaction = redact_instance(instance, out, key)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from None
    counts = ", ".join(
        _("{count} {kind} id(s)", count=count, kind=kind) for kind, count in redaction.scrambled.items()
    )
    click.echo(
        _(
            "wrote {out}: {files} file(s), replaced {counts}",
            out=out,
            files=len(redaction.files),
            counts=counts,
        )
    )
    if redaction.source_problems:
        click.echo(
            _(
                "note: {instance} has {count} problem(s) of its own "
                "(`matcher validate` lists them); the copy keeps those not caused by the ids",
                instance=instance,
                count=redaction.source_problems,
            )
        )
    if key is None:
        click.echo(
            _(
                "the pseudonyms came from a random key: a later redaction will not match them "
                "(give --key to make them repeatable)"
            )
        )
