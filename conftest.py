"""What the docstring examples of ``src/`` and ``analyses/`` may use, so that they run as tests.

``python -m pytest`` collects every docstring example (``--doctest-modules``). The examples
run from the repository's top folder (``configs/…`` paths work) and find these names ready:

- ``np``, ``ak``: numpy and awkward;
- ``testdata``: the real test data (``OPENCOFFEA_TESTDATA``, default ``../shared/data``);
- ``nano_dy``: the path of a real 2018 NanoAOD file of 40 Drell-Yan events, and ``events``:
  its NanoEvents (what a processor's ``analyze`` receives);
- ``corrections_root``: the official CMS correction payloads (a jsonpog-integration checkout);
- ``higgs4l_demo``: the directory of a written result of ``configs/higgs4l_demo.yaml`` (the
  offline H → 4ℓ demo on generated samples), made once per test session when an example asks.

Generated samples go to a cache of the test session (``OPENCOFFEA_CACHE``), shared by tests and
examples, so a run of the tests never writes into the user's cache.

An example that uses the real data is skipped, with the reason, where the data is absent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
TESTDATA = Path(os.environ.get("OPENCOFFEA_TESTDATA", ROOT.parent / "shared" / "data")).resolve()
_USES_DATA = re.compile(r"\b(testdata|nano_dy|events|corrections_root)\b")


@pytest.fixture(scope="session", autouse=True)
def sample_cache(tmp_path_factory: pytest.TempPathFactory):
    """Generated samples go to a cache of this test session, shared by its tests."""
    path = tmp_path_factory.mktemp("opencoffea-cache")
    previous = os.environ.get("OPENCOFFEA_CACHE")
    os.environ["OPENCOFFEA_CACHE"] = str(path)
    yield path
    if previous is None:
        del os.environ["OPENCOFFEA_CACHE"]
    else:
        os.environ["OPENCOFFEA_CACHE"] = previous


@pytest.fixture(scope="session")
def higgs4l_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline H → 4ℓ demo written as ``opencoffea run`` writes it, plots included (the
    examples of plots and results read it)."""
    from opencoffea import load_config, run
    from opencoffea.api import save

    result = run(load_config(ROOT / "configs" / "higgs4l_demo.yaml"), status=False)
    directory = tmp_path_factory.mktemp("results") / "higgs4l_demo"
    save(result, directory)
    return directory


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
    if any("higgs4l_demo" in source for source in sources):
        namespace["higgs4l_demo"] = request.getfixturevalue("higgs4l_demo")
    if not any(_USES_DATA.search(source) for source in sources):
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
