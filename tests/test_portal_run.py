"""``record:`` datasets end to end against the stand-in portal on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import uproot

from opencoffea import load_config, run, write_result
from opencoffea.cli import main
from opencoffea.samples import generate

from .conftest import real_file
from .helpers import write_analysis
from .test_lumis import GOLDEN_2016, certified

DATA, MC = 990010, 990011


@pytest.fixture
def served(portal_server, tmp_path):
    """Generated 2016-like data (two files) and simulation, served as two portal records."""
    data = [
        generate("dimuon_data", tmp_path / f"data_{i}.root", 3000, seed=20 + i, kind="data")
        for i in range(2)
    ]
    mc = [generate("dy_mumu", tmp_path / "dy.root", 2000, seed=30)]
    portal_server.serve_record(DATA, data, number_events=6000)
    portal_server.serve_record(MC, mc, simulated=True, cross_section=6077.22, number_events=2000)
    return portal_server, data, mc


def analysis(tmp_path, **data_extra):
    return write_analysis(
        tmp_path,
        datasets={
            "Data": {"record": DATA, "kind": "data", **data_extra},
            "DY": {"record": MC, "kind": "mc", "xsec": 6077.22},
        },
    )


def test_record_datasets_run_over_http_with_golden_json_and_normalisation(served, tmp_path):
    portal, data_files, (mc_file,) = served
    path = analysis(tmp_path)
    code = main(
        ["run", str(path), "--server", portal.url, "--quiet", "--output", str(tmp_path / "o")]
    )
    assert code == 0
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())

    # files were read over HTTP, by byte ranges: nothing was downloaded whole
    file_requests = [r for r in portal.requests if r.path.endswith(".root")]
    assert file_requests and all(r.range for r in file_requests if r.method == "GET")
    assert all(f["path"].startswith(portal.url) for f in manifest["inputs"]["Data"]["files"])

    # the record's validated-runs record (full validation first; 14221 served here) masks data
    assert manifest["sources"]["Data"]["record"] == DATA
    golden = json.loads(real_file("lumimasks", GOLDEN_2016).read_text())
    ids = [
        uproot.open(p)["Events"].arrays(["run", "luminosityBlock"], library="np")
        for p in data_files
    ]
    runs = np.concatenate([i["run"] for i in ids])
    lumis = np.concatenate([i["luminosityBlock"] for i in ids])
    inside = certified(golden, runs, lumis)
    cutflow = {c["cut"]: c["events"] for c in manifest["cutflows"]["Data"]}
    assert cutflow["all events"] == 6000 and cutflow["lumi mask"] == inside.sum() < 6000
    assert "14221" in manifest["sources"]["Data"]["lumimask"]

    # simulation normalised to xsec · L / Σ genEventSumw, read over HTTP from the Runs tree
    sumw = float(uproot.open(mc_file)["Runs"]["genEventSumw"].array(library="np").sum())
    assert manifest["inputs"]["DY"]["sumw"] == sumw
    assert manifest["inputs"]["DY"]["normalisation"] == pytest.approx(6077.22 * 1000.0 / sumw)
    assert manifest["warnings"] == []


def test_second_run_needs_no_metadata_from_the_network(served, tmp_path):
    portal, *_ = served
    config = load_config(analysis(tmp_path, lumimask=False))
    first = run(config, server=portal.url, status=False)
    portal.requests.clear()
    second = run(config, server=portal.url, status=False)
    assert not [r for r in portal.requests if r.path.startswith("/api/")]  # records cached
    assert second.cutflows == first.cutflows
    assert "lumi mask" not in second.cutflows["Data"].entries  # lumimask: false


def test_event_count_differing_from_the_record_is_a_warning(served, tmp_path, capsys):
    portal, data_files, _ = served
    portal.serve_record(DATA, data_files, number_events=7000)
    code = main(
        [
            "run",
            str(analysis(tmp_path)),
            "--server",
            portal.url,
            "--quiet",
            "--output",
            str(tmp_path / "o"),
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "record 990010 hold 6,000 events, the record states 7,000" in err


def test_unknown_record_and_pick_are_clear_errors(served, tmp_path, capsys):
    portal, *_ = served
    path = write_analysis(tmp_path, datasets={"X": {"record": 424242, "kind": "data"}})
    assert main(["run", str(path), "--server", portal.url, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "424242" in err and "Traceback" not in err
    path = write_analysis(
        tmp_path, datasets={"X": {"record": DATA, "kind": "data", "pick": ["nope*.root"]}}
    )
    assert main(["run", str(path), "--server", portal.url, "--quiet"]) == 1
    assert "no file of record 990010 matches pick" in capsys.readouterr().err


def test_unreachable_portal_is_a_clear_error(served, tmp_path, capsys, monkeypatch):
    portal, *_ = served
    monkeypatch.setattr("opencoffea.datasets.portal.BACKOFF", 0.01)
    url = portal.url
    portal.stop()
    assert main(["run", str(analysis(tmp_path)), "--server", url, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "127.0.0.1" in err and "Traceback" not in err


def test_the_2012_higgs_configuration_runs_on_portal_records(portal_server, tmp_path):
    """configs/higgs4l_2012.yaml as shipped, its records 12361–12368 served with generated
    reduced-format ("outreach") files: resolution, HTTP reading, normalisation, channels."""
    samples = {
        12361: ("hzz4l", "mc", 400),
        12362: ("zz4l", "mc", 500),
        12363: ("zz4l", "mc", 500),
        12364: ("zz4l", "mc", 500),
        12365: ("zz4l", "data", 300),
        12366: ("hzz4l", "data", 300),
        12367: ("zz4l", "data", 300),
        12368: ("hzz4l", "data", 300),
    }
    for recid, (process, kind, events) in samples.items():
        path = generate(
            process, tmp_path / f"{recid}.root", events, seed=recid, kind=kind, format="outreach"
        )
        portal_server.serve_record(
            recid, [path], simulated=kind == "mc", number_events=events, validated=()
        )
    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "higgs4l_2012.yaml")
    result = run(
        config, server=portal_server.url, executor="iterative", chunksize=250, status=False
    )
    assert result.complete and result.warnings == []
    assert result.events_processed == sum(n for _, _, n in samples.values())
    m4l = result.raw["m4l"]
    for dataset in ("Run2012B_DoubleMuParked", "Run2012C_DoubleMuParked"):
        assert m4l[{"dataset": dataset, "systematic": "nominal", "channel": "4e"}].sum().value == 0
        assert m4l[{"dataset": dataset, "systematic": "nominal", "channel": "4mu"}].sum().value > 0
    directory = write_result(result, tmp_path / "out")
    manifest = json.loads((directory / "manifest.json").read_text())
    higgs = manifest["inputs"]["SMHiggsToZZTo4L"]
    assert higgs["sumw"] == 400  # no generator weights in these files: events read
    assert higgs["normalisation"] == pytest.approx(0.0065 * 11580.0 / 400)
    assert manifest["sources"]["Run2012B_DoubleMuParked"]["record"] == 12365
    assert "lumimask" not in manifest["sources"]["Run2012B_DoubleMuParked"]
