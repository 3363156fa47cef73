"""End to end on generated samples: every executor, chunk sizes, results, accounting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import uproot

from opencoffea import load_result, run, write_result
from opencoffea.chunks import ChunkRange, FailedChunk
from opencoffea.cli import EXIT_FAILED_CHUNKS, EXIT_INCOMPLETE, main
from opencoffea.results import normalise

from .conftest import real_file
from .helpers import assert_same_histograms, config_of, write_analysis

ROOT = Path(__file__).resolve().parents[1]

DIMUON = (ROOT / "analyses" / "dimuon.py").read_text()
DIMUON_HISTOGRAMS = {
    "mass": {
        "axes": [{"name": "mass", "bins": 120, "start": 0.25, "stop": 300, "transform": "log"}]
    },
    "pt": {"axes": [{"name": "pt", "bins": 20, "start": 0, "stop": 100}]},
}
DATASETS = {
    "Data": {"generate": {"process": "dimuon_data", "events": 12000, "seed": 3}, "kind": "data"},
    "DY": {
        "generate": {"process": "dy_mumu", "events": 5000, "seed": 4, "files": 2},
        "kind": "mc",
        "xsec": 6077.22,
        "group": "Drell-Yan",
    },
}


@pytest.fixture
def demo(tmp_path):
    return config_of(
        tmp_path,
        datasets=DATASETS,
        histograms=DIMUON_HISTOGRAMS,
        code=DIMUON,
        cls="DimuonSpectrum",
    )


def test_iterative_run_fills_histograms_cutflows_and_tallies(demo):
    result = run(demo, executor="iterative", chunksize=5000, status=False)
    assert result.complete
    assert result.events_processed == result.events_in_input == 17000
    assert [r.info.num_entries for r in result.inputs["DY"]] == [2500, 2500]
    cutflow = result.cutflows["Data"].as_list()
    assert [c["cut"] for c in cutflow] == ["all events", "two muons", "opposite charge"]
    assert cutflow[0]["events"] == 12000 > cutflow[1]["events"] > cutflow[2]["events"] > 0
    mass = result.raw["mass"]
    selected = cutflow[2]["events"]
    assert mass[{"dataset": "Data", "systematic": "nominal"}].values(flow=True).sum() == selected


@pytest.mark.slow
def test_same_histograms_whatever_the_executor_and_chunk_size(demo):
    reference = run(demo, executor="iterative", chunksize=100_000, status=False)
    others = [
        run(demo, executor="iterative", chunksize=777, status=False),
        run(demo, executor="futures", workers=2, chunksize=3000, status=False),
        run(demo, executor="dask", workers=2, chunksize=1999, status=False),
    ]
    for other in others:
        assert_same_histograms(reference.raw, other.raw)
        assert_same_histograms(reference.histograms, other.histograms)
        assert other.cutflows == reference.cutflows
        assert other.inputs == reference.inputs  # per file: events read, Σw used


def test_cli_run_writes_root_and_manifest_and_loads_back(demo, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code = main(
        ["run", str(demo.source), "--executor", "iterative", "--quiet", "--output", str(out_dir)]
    )
    assert code == 0
    printed = capsys.readouterr()
    assert "summary" in printed.out and "events/s" in printed.err

    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert manifest["events"] == {"input": 17000, "processed": 17000, "failed": 0, "unread": 0}
    assert manifest["environment"]["packages"]["coffea"].startswith("2026.9")
    dy = manifest["inputs"]["DY"]
    assert dy["sumw"] == sum(f["runs_sums"]["sumw"] for f in dy["files"])
    assert dy["normalisation"] == pytest.approx(6077.22 * 1000.0 / dy["sumw"])
    assert all(f["sumw_source"] == "genEventSumw" for f in dy["files"])
    assert manifest["inputs"]["Data"]["normalisation"] == 1.0
    assert manifest["cutflows"]["Data"][0] == {
        "cut": "all events",
        "events": 12000,
        "sumw": 12000.0,
    }

    with uproot.open(out_dir / "histograms.root") as f:
        raw = f["raw/mass/DY/nominal"]
        normalised = f["normalised/mass/DY/nominal"]
        assert raw.values().sum() > 0
        assert normalised.values() == pytest.approx(raw.values() * dy["normalisation"])
        assert f["normalised/mass/Data/nominal"].values() == pytest.approx(
            f["raw/mass/Data/nominal"].values()
        )

    loaded = load_result(out_dir)
    fresh = run(demo, executor="iterative", status=False)
    assert_same_histograms(loaded.raw, fresh.raw)
    assert loaded.histograms["mass"].axes.name == ("dataset", "systematic", "mass")


def assert_same_result(a, b) -> None:
    """Two results hold the same: every attribute, the histograms bit for bit."""
    assert a.manifest == b.manifest
    assert a.config.model_dump() == b.config.model_dump()
    assert_same_histograms(a.histograms, b.histograms)
    assert_same_histograms(a.raw, b.raw)
    for name in ("cutflows", "lumis", "inputs", "premade", "failures", "unread", "execution"):
        assert getattr(a, name) == getattr(b, name), name
    assert a.summary() == b.summary() and normalise(a) == normalise(b)
    assert a.directory == b.directory


FAILS_ON_1000 = """
import awkward as ak
from opencoffea import Processor

class FailsAt1000(Processor):
    def analyze(self, events, out):
        if events.metadata["entrystart"] == 1000:
            raise ValueError("a corrupted basket, say")
        out.cut("one muon", ak.num(events.Muon) >= 1)
        out.fill("pt", pt=out.select(events.Muon).pt)
"""


def test_a_result_in_memory_and_read_back_are_the_same(tmp_path):
    golden = real_file(
        "lumimasks", "Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON_MuonPhys.txt"
    )
    config = config_of(
        tmp_path,
        datasets={
            "Data": {
                "generate": {"process": "dimuon_data", "events": 3000, "seed": 11},
                "kind": "data",
                "lumimask": str(golden),
            },
            "DY": {"generate": {"process": "dy_mumu", "events": 2500}, "kind": "mc", "xsec": 10.0},
        },
        code=FAILS_ON_1000,
        cls="FailsAt1000",
    )
    result = run(config, chunksize=1000, max_chunks=2, status=False)
    # in each dataset a failed chunk and an unread one, and the lumi sections of the data
    assert [(f.dataset, f.entry_start, f.events) for f in result.failures] == [
        ("Data", 1000, 1000),
        ("DY", 1000, 1000),
    ]
    assert all(isinstance(f, FailedChunk) and "corrupted" in f.error for f in result.failures)
    assert result.unread == [
        ChunkRange("Data", result.inputs["Data"][0].info.path, 2000, 3000),
        ChunkRange("DY", result.inputs["DY"][0].info.path, 2000, 2500),
    ]
    (dy,) = result.inputs["DY"]
    assert (dy.events_processed, dy.sumw_source) == (1000, "Σ genWeight (file not read completely)")
    assert len(result.lumis["Data"]) > 0 and result.execution.chunks == 4
    assert result.directory is None

    directory = write_result(result, tmp_path / "out")
    assert result.directory == directory
    loaded = load_result(directory)
    assert_same_result(result, loaded)

    # written again from what was read, the directory is the same
    again = write_result(loaded, tmp_path / "again")
    assert (again / "manifest.json").read_text() == (directory / "manifest.json").read_text()
    assert_same_result(load_result(again), loaded)  # which now lives in `again`


def test_category_axes_are_written_one_histogram_per_value(tmp_path):
    code = """
    import awkward as ak
    from opencoffea import Processor

    class ByCharge(Processor):
        def analyze(self, events, out):
            muons = events.Muon
            out.fill("pt", pt=muons[muons.charge > 0].pt, sign="plus")
            out.fill("pt", pt=muons[muons.charge < 0].pt, sign="minus")
    """
    histograms = {
        "pt": {
            "axes": [
                {"name": "pt", "bins": 10, "start": 0, "stop": 100},
                {"name": "sign", "categories": ["plus", "minus"]},
            ]
        }
    }
    config = config_of(
        tmp_path,
        datasets={"D": {"generate": {"process": "dimuon_data", "events": 2000}, "kind": "data"}},
        histograms=histograms,
        code=code,
        cls="ByCharge",
    )
    directory = write_result(run(config, status=False), tmp_path / "out")
    with uproot.open(directory / "histograms.root") as f:
        plus = f["raw/pt/D/nominal/plus"].values(flow=True).sum()
        minus = f["raw/pt/D/nominal/minus"].values(flow=True).sum()
    loaded = load_result(directory).raw["pt"]
    assert (
        loaded[{"dataset": "D", "systematic": "nominal", "sign": "plus"}].values(flow=True).sum()
        == plus
    )
    assert (
        loaded[{"dataset": "D", "systematic": "nominal", "sign": "minus"}].values(flow=True).sum()
        == minus
    )
    assert plus > 0 and minus > 0


FAILING = """
import awkward as ak
from opencoffea import Processor

class FailsOnSecondChunk(Processor):
    def analyze(self, events, out):
        if events.metadata["entrystart"] == 1000:
            raise ValueError("a corrupted basket, say")
        out.fill("pt", pt=events.Muon.pt)
"""


def test_failed_chunks_are_accounted_for_and_reported(tmp_path, capsys):
    path = write_analysis(
        tmp_path,
        datasets={"D": {"generate": {"process": "dimuon_data", "events": 3000}, "kind": "data"}},
        code=FAILING,
        cls="FailsOnSecondChunk",
    )
    code = main(
        ["run", str(path), "--chunksize", "1000", "--quiet", "--output", str(tmp_path / "o")]
    )
    assert code == EXIT_FAILED_CHUNKS
    err = capsys.readouterr().err
    assert "1 chunk(s) failed, 1,000 events not processed" in err
    assert "ValueError: a corrupted basket, say" in err
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["events"] == {"input": 3000, "processed": 2000, "failed": 1000, "unread": 0}
    (failure,) = manifest["failures"]
    assert (failure["entry_start"], failure["entry_stop"], failure["events"]) == (1000, 2000, 1000)
    assert "a corrupted basket" in failure["error"]


def test_max_chunks_says_what_was_left_unread(tmp_path, capsys):
    path = write_analysis(
        tmp_path,
        datasets={"D": {"generate": {"process": "dimuon_data", "events": 3000}, "kind": "data"}},
    )
    code = main(
        [
            "run",
            str(path),
            "--chunksize",
            "1000",
            "--max-chunks",
            "1",
            "--quiet",
            "--output",
            str(tmp_path / "o"),
        ]
    )
    assert code == EXIT_INCOMPLETE
    assert "2,000 events left unread by --max-chunks" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["events"]["unread"] == 2000 and len(manifest["unread"]) == 2


def test_a_mistake_in_using_out_stops_the_run_with_a_clear_error(tmp_path, capsys):
    typo = """
    from opencoffea import Processor

    class Typo(Processor):
        def analyze(self, events, out):
            out.fill("ptt", pt=events.Muon.pt)
    """
    path = write_analysis(
        tmp_path,
        datasets={"D": {"generate": {"process": "dimuon_data", "events": 500}, "kind": "data"}},
        code=typo,
        cls="Typo",
    )
    assert main(["run", str(path), "--quiet", "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "no histogram 'ptt' is booked (did you mean 'pt'?)" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_processor_from_a_file_reaches_dask_workers_without_the_file(tmp_path):
    """A scheduler and a worker started elsewhere (another cwd, no analyses/ on their path)."""
    config = config_of(
        tmp_path,
        datasets={"D": {"generate": {"process": "dimuon_data", "events": 4000}, "kind": "data"}},
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    scheduler_file = elsewhere / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": ""}
    python = [sys.executable, "-m"]
    processes = [
        subprocess.Popen(
            [
                *python,
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            cwd=elsewhere,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, "the dask scheduler did not start"
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        processes.append(
            subprocess.Popen(
                [
                    *python,
                    "distributed.cli.dask_worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                cwd=elsewhere,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
            # the worker cannot import the analysis file by name
            assert client.run(lambda: __import__("os").getcwd()).popitem()[1] == str(elsewhere)
        result = run(config, scheduler=address, chunksize=1000, status=False)
        local = run(config, executor="iterative", status=False)
        assert result.complete and result.events_processed == 4000
        assert_same_histograms(result.raw, local.raw)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)


def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    path = write_analysis(
        tmp_path,
        datasets={"D": {"generate": {"process": "dimuon_data", "events": 100}, "kind": "data"}},
    )
    code = main(
        [
            "run",
            str(path),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--quiet",
            "--output",
            str(tmp_path / "o"),
        ]
    )
    assert code == 1
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err
