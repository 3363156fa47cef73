"""The small commands: inspect, generate, and the exit status of a bare call."""

from __future__ import annotations

import subprocess
import sys

import uproot

from opencoffea.cli import main


def test_inspect_prints_branches_with_their_documentation(nanoaod, capsys):
    assert main(["inspect", str(nanoaod("nano_dy.root")), "Muon"]) == 0
    out = capsys.readouterr().out
    assert "Muon_pt" in out and "v6" in out
    with uproot.open(nanoaod("nano_dy.root")) as f:
        title = f["Events"]["Muon_pt"].title
    assert title in out


def test_inspect_unknown_collection_suggests_one(nanoaod, capsys):
    assert main(["inspect", str(nanoaod("nano_dy.root")), "Muons"]) == 1
    assert "did you mean" in capsys.readouterr().err


def test_generate_writes_a_sample(tmp_path, capsys):
    path = tmp_path / "h.root"
    assert main(["generate", "hzz4l", "-n", "300", "-o", str(path), "--seed", "5"]) == 0
    with uproot.open(path) as f:
        assert f["Events"].num_entries == 300
        assert f["Runs"]["genEventCount"].array(library="np").sum() == 300
    err = capsys.readouterr().err
    assert "generating hzz4l (mc)" in err and "300/300" in err  # the progress bar, once done
    assert "wrote 300 mc events of hzz4l" in err


def test_the_console_script_runs():
    done = subprocess.run(
        [sys.executable, "-m", "opencoffea.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("opencoffea ")
    assert main([]) == 1


def test_every_shipped_configuration_is_valid(capsys):
    """Each configs/*.yaml loads and its processor imports (record datasets need no network)."""
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml")):
        assert main(["check", str(path)]) == 0, capsys.readouterr().err


def test_a_result_without_its_histograms_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text('{"config": {}, "inputs": {}}')
    assert main(["yields", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "histograms.root is missing" in err and "Traceback" not in err
