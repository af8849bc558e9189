"""Running `matcher` commands in tests: in process (CliRunner), or its help in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from matcher.cli.main import main


def invoke(*args: object, code: int = 0) -> str:
    """The output of `matcher ARGS` run in process; the exit code must be `code`, never a traceback."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result.output


def help_of(*args: str, lang: str | None = None) -> str:
    """`matcher … --help` in a fresh process (help is translated when a command module is imported)."""
    env = {key: value for key, value in os.environ.items() if key != "MATCHER_LANG"}
    if lang:
        env["MATCHER_LANG"] = lang
    done = subprocess.run(
        [sys.executable, "-c", "from matcher.cli import main; main(prog_name='matcher')", *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    return done.stdout
