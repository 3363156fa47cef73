"""Shared fixtures: where the real test data lives, and generated samples.

Real CMS files are read from ``OPENCOFFEA_TESTDATA`` (default ``../shared/data`` beside
the checkout); tests that need them skip with the reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("OPENCOFFEA_TESTDATA", ROOT.parent / "shared" / "data")).resolve()


def real_file(*parts: str) -> Path:
    """The path of a real test file under the test-data directory, or skip the test."""
    path = TESTDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real test data not found: {path} (set OPENCOFFEA_TESTDATA)")
    return path


@pytest.fixture
def nanoaod():
    """``nanoaod("nano_dy.root")`` → path of a real NanoAOD file, or skip."""
    return lambda name: real_file("nanoaod", name)


@pytest.fixture
def portal_server(monkeypatch, tmp_path):
    """A stand-in CERN Open Data portal on 127.0.0.1 (see ``tests/portal_server.py``).

    The test gets its own cache directory, so nothing resolved by another test is reused.
    """
    from .portal_server import StandInPortal

    for part in ("opendata", "nanoaod", "lumimasks"):
        real_file(part)
    monkeypatch.setenv("OPENCOFFEA_CACHE", str(tmp_path / "cache"))
    with StandInPortal(TESTDATA) as server:
        yield server
