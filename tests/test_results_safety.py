"""Physics mistakes that cannot pass silently.

A dataset whose files are not of its declared kind, or a file in two datasets, is a
configuration error naming the YAML file and line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opencoffea import load_config, run
from opencoffea.errors import ConfigError

from .conftest import real_file
from .helpers import write_analysis

ROOT = Path(__file__).resolve().parents[1]

# Leaves a file for each chunk it starts, so a test sees whether any chunk ran; while a
# file "hold" is there, it waits (at most a minute), so a run can be kept running.
MARKING = """
import os, tempfile, time
from pathlib import Path

import awkward as ak
from opencoffea import Processor

class Marking(Processor):
    def analyze(self, events, out):
        markers = Path(os.environ["SAFETY_MARKERS"])
        tempfile.mkstemp(dir=markers, prefix="chunk_")
        deadline = time.monotonic() + 60
        while (markers / "hold").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        out.cut("one muon", ak.num(events.Muon) >= 1)
        out.fill("pt", pt=out.select(events.Muon).pt)
"""

DATA = {"D": {"generate": {"process": "dimuon_data", "events": 3000, "seed": 7}, "kind": "data"}}


@pytest.fixture
def markers(tmp_path, monkeypatch) -> Path:
    """The directory the Marking processor leaves its files in (also for subprocesses)."""
    path = tmp_path / "markers"
    path.mkdir()
    monkeypatch.setenv("SAFETY_MARKERS", str(path))
    return path


def chunks_started(markers: Path) -> int:
    return len(list(markers.glob("chunk_*")))


def marking_analysis(directory: Path, datasets=None) -> Path:
    return write_analysis(directory, datasets=datasets or DATA, code=MARKING, cls="Marking")


# ------------------------------------------------------------ physics mistakes


def kind_line(config: Path, dataset: str) -> int:
    """The line of ``kind:`` of a dataset in a YAML file written by ``write_analysis``."""
    lines = config.read_text().splitlines()
    start = lines.index(f"  {dataset}:")
    return next(n for n, line in enumerate(lines[start:], start + 1) if "kind:" in line)


@pytest.mark.parametrize(
    ("file", "kind", "message"),
    [
        ("nano_dy.root", "data", "is declared data, but {path} is simulation"),
        ("nano_dimuon.root", "mc", "is declared simulation, but {path} is collision data"),
    ],
)
def test_files_not_of_their_datasets_kind_stop_the_run_before_any_chunk(
    tmp_path, markers, file, kind, message
):
    path = real_file("nanoaod", file)
    spec = {"files": [str(path)], "kind": kind, **({"xsec": 1.0} if kind == "mc" else {})}
    config = marking_analysis(tmp_path, {"Good": DATA["D"], "Wrong": spec})
    with pytest.raises(ConfigError) as error:
        run(load_config(config), status=False)
    line = kind_line(config, "Wrong")
    assert str(error.value) == (
        f"{config}, line {line}, datasets.Wrong.kind: dataset 'Wrong' "
        + message.format(path=path)
        + f" (it has {'' if kind == 'data' else 'no '}generator weights); correct its kind: "
        "or its files"
    )
    assert chunks_started(markers) == 0


def test_a_file_in_two_datasets_is_a_configuration_error(tmp_path, markers):
    dy = real_file("nanoaod", "nano_dy.root")
    (tmp_path / "link.root").symlink_to(dy)  # the same file by another name: found the same
    config = marking_analysis(
        tmp_path,
        {
            "DY": {"files": [str(dy)], "kind": "mc", "xsec": 1.0},
            "Again": {"files": ["link.root"], "kind": "mc", "xsec": 2.0},
        },
    )
    with pytest.raises(ConfigError) as error:
        run(load_config(config), status=False)
    line = config.read_text().splitlines().index("  Again:") + 1
    assert str(error.value) == (
        f"{config}, line {line}, datasets.Again: {dy} is in dataset 'DY' "
        "too; its events would be counted twice (a file belongs to one dataset)"
    )
    assert chunks_started(markers) == 0


def test_a_portal_file_in_two_datasets_is_a_configuration_error(portal_server, tmp_path):
    from opencoffea.samples import generate

    mc = generate("dy_mumu", tmp_path / "dy.root", 500, seed=30)
    portal_server.serve_record(990011, [mc], simulated=True, cross_section=1.0)
    config = write_analysis(
        tmp_path,
        datasets={
            "DY": {"record": 990011, "kind": "mc", "xsec": 1.0},
            "DY_again": {"record": 990011, "kind": "mc", "xsec": 1.0, "pick": ["dy*"]},
        },
    )
    with pytest.raises(ConfigError, match=r"line \d+, datasets\.DY_again: http://127\.0\.0\.1:"):
        run(load_config(config), server=portal_server.url, status=False)


def test_the_shipped_configurations_load():
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        assert load_config(path).name == path.stem
