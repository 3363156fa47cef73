"""What the docstring examples of ``src/`` and ``analyses/`` may use, so that they run as tests.

``python -m pytest`` collects every docstring example (``--doctest-modules``). The examples
run from the repository's top folder (``configs/…`` paths work) and find these names ready:

- ``np``, ``ak``: numpy and awkward;
- ``testdata``: the real test data (``OPENCOFFEA_TESTDATA``, default ``../shared/data``);
- ``nano_dy``: the path of a real 2018 NanoAOD file of 40 Drell-Yan events, and ``events``:
  its NanoEvents (what a processor's ``analyze`` receives);
- ``corrections_root``: the official CMS correction payloads (a jsonpog-integration checkout).

An example that uses the real data is skipped, with the reason, where the data is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
TESTDATA = Path(os.environ.get("OPENCOFFEA_TESTDATA", ROOT.parent / "shared" / "data"))
_DATA_NAMES = ("testdata", "nano_dy", "events", "corrections_root")


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest) -> None:
    """Fill the namespace of docstring examples (only for doctest items)."""
    if not isinstance(request.node, pytest.DoctestItem):
        return
    import awkward as ak
    import numpy as np

    namespace = request.getfixturevalue("doctest_namespace")
    namespace.update(np=np, ak=ak, testdata=TESTDATA)
    sources = [example.source for example in request.node.dtest.examples]
    if not any(name in source for source in sources for name in _DATA_NAMES):
        return
    nano_dy = TESTDATA / "nanoaod" / "nano_dy.root"
    if not nano_dy.exists():
        pytest.skip(f"real test data not found: {nano_dy} (set OPENCOFFEA_TESTDATA)")
    namespace.update(
        nano_dy=str(nano_dy),
        events=_events(str(nano_dy)),
        corrections_root=TESTDATA / "corrections" / "jsonpog-integration",
    )


def _events(path: str):
    from opencoffea.events import describe, events_from, open_file

    file = open_file(path)
    return events_from(file, describe(file, path))
