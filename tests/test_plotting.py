"""Figures and the numbers beside them, and the yields table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from opencoffea import load_config, load_result, run, write_result
from opencoffea.cli import main
from opencoffea.plotting import plot_result, yields

from .helpers import write_analysis
from .test_premade import local_config

CODE = """
import awkward as ak
from opencoffea import Processor

class Leading(Processor):
    def analyze(self, events, out):
        out.cut("a muon", ak.num(events.Muon) >= 1)
        muons = out.select(events.Muon)
        plus = muons.charge[:, 0] > 0
        out.fill("pt", pt=ak.mask(muons.pt[:, 0], plus), charge="plus")  # None: not filled
        out.fill("pt", pt=ak.mask(muons.pt[:, 0], ~plus), charge="minus")
"""
HISTOGRAMS = {
    "pt": {
        "axes": [
            {"name": "pt", "bins": 20, "start": 0, "stop": 100, "label": "$p_T$ [GeV]"},
            {"name": "charge", "categories": ["plus", "minus"]},
        ]
    }
}


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("plots")
    style = {"stack": ["Background", "More"], "signal": ["Signal"], "data": "Data"}
    path = write_analysis(
        tmp_path,
        datasets={
            "D": {
                "generate": {"process": "dimuon_data", "events": 1500},
                "kind": "data",
                "group": "Data",
            },
            "B": {
                "generate": {"process": "dy_mumu", "events": 800, "seed": 2},
                "kind": "mc",
                "xsec": 600.0,
                "group": "Background",
            },
            "M": {
                "generate": {"process": "dy_mumu", "events": 500, "seed": 3},
                "kind": "mc",
                "xsec": 300.0,
                "group": "More",
            },
            "S": {
                "generate": {"process": "dy_mumu", "events": 300, "seed": 4},
                "kind": "mc",
                "xsec": 50.0,
                "group": "Signal",
            },
        },
        histograms=HISTOGRAMS,
        code=CODE,
        cls="Leading",
        plots={
            "pt": {**style, "ratio": True, "logy": True},
            "pt_plus": {**style, "histogram": "pt", "select": {"charge": "plus"}},
        },
        yields={"reference": {"Data": {"plus": [700, 30], "combined": [1400, 40]}}},
    )
    result = run(load_config(path), status=False)
    assert result.complete
    return path, write_result(result, tmp_path / "out")


def test_figures_and_json_exist_and_match_the_histograms(result_dir):
    _, directory = result_dir
    result = load_result(directory)
    written = plot_result(result)
    names = sorted(p.name for p in written)
    assert names == ["pt.json", "pt.pdf", "pt.png", "pt_plus.json", "pt_plus.pdf", "pt_plus.png"]
    assert all(p.stat().st_size > 1000 for p in written if p.suffix in (".png", ".pdf"))

    h = result.histograms["pt"]
    config = result.config
    for plot, select in (("pt", {}), ("pt_plus", {"charge": "plus"})):
        numbers = json.loads((directory / "plots" / f"{plot}.json").read_text())
        for group, entry in numbers["groups"].items():
            datasets = [d for d in config.datasets if config.group_of(d) == group]
            values = sum(
                h[{"dataset": d, "systematic": "nominal", **select}].values()
                if select
                else h[{"dataset": d, "systematic": "nominal"}].values().sum(axis=1)
                for d in datasets
            )
            np.testing.assert_allclose(entry["values"], values, rtol=1e-12)
            assert entry["yield"] == pytest.approx(np.sum(values), rel=1e-12)
        stack = numbers["groups"]["Background"]["yield"] + numbers["groups"]["More"]["yield"]
        assert numbers["stack_total"]["yield"] == pytest.approx(stack)
        assert numbers["groups"]["Data"]["kind"] == "data"
        assert numbers["groups"]["Signal"]["kind"] == "signal"


def test_yields_per_category_and_combined(result_dir):
    _, directory = result_dir
    histogram, table = yields(load_result(directory))
    assert histogram == "pt"
    data = table["Data"]
    assert data["plus"][0] + data["minus"][0] == data["combined"][0]
    assert data["combined"][0] == data["combined"][1]  # unit weights: variance = count


def test_cli_yields_compares_with_the_reference(result_dir, capsys):
    _, directory = result_dir
    assert main(["yields", str(directory)]) == 0
    out = capsys.readouterr().out
    assert "reference: Δ (pull)" in out and "σ) vs 700" in out


def test_cli_plot_and_bad_input(result_dir, tmp_path, capsys):
    _, directory = result_dir
    assert main(["plot", str(directory), "--output", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "pt.png").exists()
    assert main(["plot", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err
    assert "no manifest.json here" in err and "Traceback" not in err


def test_run1_figure_numbers(tmp_path):
    """The published 2011+2012 figure: its JSON holds what the macro would have drawn."""
    config = local_config(tmp_path)
    directory = write_result(run(config, status=False), tmp_path / "out")
    plot_result(load_result(directory))
    numbers = json.loads((directory / "plots" / "m4l.json").read_text())
    assert numbers["edges"][0] == 70 and numbers["edges"][-1] == 181 and len(numbers["edges"]) == 38
    assert numbers["groups"]["Data"]["yield"] == 102
    assert [g["kind"] for g in numbers["groups"].values()] == [
        "stack",
        "stack",
        "stack",
        "signal",
        "data",
    ]
