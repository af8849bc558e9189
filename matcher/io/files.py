"""Fingerprints of files and bytes: the sha256 that summaries, the ledger and audits record."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    """The sha256 of `data`, as hexadecimal."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, as hexadecimal."""
    return sha256_bytes(Path(path).read_bytes())
