"""Shared fixtures: the bundled instances and a helper to write small instances."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the independent checker (tests/reference/) and shared helpers (tests/support/), imported by name
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "redteam"))

TINY = ROOT / "instances" / "tiny"


@pytest.fixture
def tiny() -> Path:
    """The hand-checked tiny instance (read-only)."""
    return TINY


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of the tiny instance, for tests that break it on purpose."""
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch: pytest.MonkeyPatch):
    """Tests run in English (they assert English messages), unless they ask for `dutch`.

    Dutch is the product's default language (matcher/i18n.py); a test of the Dutch words requests
    the `dutch` fixture. Subprocesses inherit the language through MATCHER_LANG."""
    from matcher.i18n import set_language

    monkeypatch.setenv("MATCHER_LANG", "en")
    set_language(None)
    yield
    set_language(None)


@pytest.fixture
def dutch(monkeypatch: pytest.MonkeyPatch):
    """Run this test in Dutch, the product's default: MATCHER_LANG unset, no --lang."""
    from matcher.i18n import set_language

    monkeypatch.delenv("MATCHER_LANG", raising=False)
    set_language(None)
    yield
    set_language(None)
