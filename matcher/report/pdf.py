"""Print the weekly overview to PDF with a headless Chromium (the page's A4 print CSS decides the
layout, so the PDF is what a coordinator gets from the browser's own Print → Save as PDF)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from matcher.i18n import _

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 180  # seconds; a national week's page prints in a few


class PdfFailed(RuntimeError):
    """No PDF could be made; the message says why and what to do."""


def find_browser() -> str | None:
    """The path of a Chromium (or Chrome) on this machine, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_command(browser: str, profile: Path) -> list[str]:
    """Chromium without a window, sandbox (it refuses to run as root with one) or first-run work."""
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
    ]


def print_pdf(html_file: Path, pdf_file: Path, browser: str | None = None) -> Path:
    """Print `html_file` to `pdf_file` (replaced atomically); raises PdfFailed."""
    browser = browser or find_browser()
    if browser is None:
        raise PdfFailed(no_browser_message())
    pdf_file = Path(pdf_file)
    pdf_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="matcher-chromium-") as profile:
        temporary = Path(profile) / "overview.pdf"
        command = browser_command(browser, Path(profile)) + [
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--print-to-pdf={temporary}",
            Path(html_file).resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise PdfFailed(
                _(
                    "{browser} did not print the page within {seconds} seconds",
                    browser=browser,
                    seconds=TIMEOUT,
                )
            ) from None
        if not temporary.is_file() or not temporary.read_bytes().startswith(b"%PDF"):
            last = (done.stderr or "").strip().splitlines()[-3:]
            raise PdfFailed(
                _(
                    "{browser} made no PDF (exit code {code}): {output}",
                    browser=browser,
                    code=done.returncode,
                    output=" / ".join(last) or "-",
                )
            )
        staged = pdf_file.with_name(f".{pdf_file.name}.tmp")
        shutil.copyfile(temporary, staged)
        os.replace(staged, pdf_file)
    return pdf_file


def no_browser_message() -> str:
    return _(
        "no Chromium found to print the PDF (looked for {names}): install it (Debian: apt-get install "
        "chromium), or open the HTML page in a browser and print it to PDF there",
        names=", ".join(BROWSERS),
    )
