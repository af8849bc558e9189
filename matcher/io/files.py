"""Fingerprints of files and bytes: the sha256 that summaries, the ledger and audits record."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

DIGEST = "summary_sha256"  # the key of summary.json that holds its own digest


def sha256_bytes(data: bytes) -> str:
    """The sha256 of `data`, as hexadecimal."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, as hexadecimal."""
    return sha256_bytes(Path(path).read_bytes())


def summary_digest(summary: dict[str, Any]) -> str:
    """The sha256 of a summary's reproducible content, as `write_proposal` records it: the JSON of
    every key but `seconds` (and the digest itself), keys sorted, no spaces, UTF-8."""
    content = {key: value for key, value in summary.items() if key not in ("seconds", DIGEST)}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256_bytes(canonical.encode("utf-8"))
