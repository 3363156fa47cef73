"""Figures, the numbers beside them, and the yields table, from a small run of every kind of
group: data (two datasets), two stacked simulations (one of two datasets), a signal, and a
category axis (the lepton flavour)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import hist
import numpy as np
import pytest
import yaml

from opencoffea import load_config, load_result, run, write_result
from opencoffea.cli import main
from opencoffea.config import Plot, Yields
from opencoffea.errors import PlotError
from opencoffea.plotting import (
    COMBINED,
    colour,
    figure_of,
    group_histograms,
    plot_numbers,
    plot_result,
    yields,
)

from .helpers import write_analysis
from .test_premade import local_config

CODE = """
import awkward as ak
from opencoffea import Processor

class LeadingLepton(Processor):
    def analyze(self, events, out):
        for flavour, leptons in (("mu", events.Muon), ("e", events.Electron)):
            # None where the event has no such lepton: not filled
            out.fill("pt", pt=ak.firsts(leptons.pt), flavour=flavour)
        out.fill("pt_eta", pt=ak.firsts(events.Muon.pt), eta=ak.firsts(events.Muon.eta))
"""
HISTOGRAMS = {
    "pt": {
        "axes": [
            # up to 60 GeV only: the overflow is not empty
            {"name": "pt", "bins": 20, "start": 0, "stop": 60, "label": "$p_{T}$ [GeV]"},
            {"name": "flavour", "categories": ["mu", "e"]},
        ]
    },
    "pt_eta": {
        "axes": [
            {"name": "pt", "bins": 10, "start": 0, "stop": 100},
            {"name": "eta", "bins": 10, "start": -2.5, "stop": 2.5},
        ]
    },
}
DATA, DY, TT, SIGNAL = "Data", "Z/γ* → ℓℓ", "tt̄", "m_H = 125 GeV"


def sample(process, events, seed):
    return {"process": process, "events": events, "seed": seed}


DATASETS = {
    "DoubleMuA": {"generate": sample("dimuon_data", 1200, 1), "kind": "data", "group": DATA},
    "DoubleMuB": {"generate": sample("dimuon_data", 800, 2), "kind": "data", "group": DATA},
    "DYmumu": {"generate": sample("dy_mumu", 1000, 3), "kind": "mc", "xsec": 1.5, "group": DY},
    "DYee": {"generate": sample("dy_ee", 600, 4), "kind": "mc", "xsec": 0.5, "group": DY},
    "TTbar": {"generate": sample("ttbar", 400, 5), "kind": "mc", "xsec": 0.3, "group": TT},
    "Higgs": {"generate": sample("hzz4l", 300, 6), "kind": "mc", "xsec": 0.2, "group": SIGNAL},
}
STYLE = {"stack": [DY, TT], "signal": [SIGNAL], "data": DATA, "colors": {TT: "kOrange-4"}}
PLOTS = {
    "pt": {**STYLE, "ratio": True, "logy": True, "lumi_label": "√s = 13 TeV, L = 1 fb⁻¹"},
    "pt_mu": {**STYLE, "histogram": "pt", "select": {"flavour": "mu"}},
    "pt_e": {**STYLE, "histogram": "pt", "select": {"flavour": "e"}},
}


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("plots")
    path = write_analysis(
        tmp_path,
        datasets=DATASETS,
        histograms=HISTOGRAMS,
        code=CODE,
        cls="LeadingLepton",
        plots=PLOTS,
        yields={"reference": {DATA: {"mu": [1500, 40]}, DY: {COMBINED: 2000}}},
    )
    result = run(load_config(path), status=False)
    assert result.complete
    return write_result(result, tmp_path / "out")


@pytest.fixture(scope="module")
def drawn(result_dir):
    """The figures of the result, drawn once for the tests that read them."""
    return plot_result(load_result(result_dir))


def numbers_of(result_dir, plot):
    return json.loads((result_dir / "plots" / f"{plot}.json").read_text())


def expected(h, datasets, **index):
    """A group's in-range values and variances, straight from the result's histogram."""
    slices = [h[{"dataset": d, "systematic": "nominal", **index}] for d in datasets]
    return sum(s.values() for s in slices), sum(s.variances() for s in slices)


def test_every_plot_has_a_png_a_pdf_and_a_json(result_dir, drawn):
    assert [p.name for p in drawn] == [f"{n}.{s}" for n in PLOTS for s in ("png", "pdf", "json")]
    for path in drawn:
        assert path.parent == result_dir / "plots"
        head = path.read_bytes()[:8]
        assert head.startswith({"png": b"\x89PNG", "pdf": b"%PDF", "json": b"{"}[path.suffix[1:]])


def test_the_json_holds_exactly_the_grouped_histograms(result_dir, drawn):
    result = load_result(result_dir)
    h = result.histograms["pt"]
    members = {DATA: ["DoubleMuA", "DoubleMuB"], DY: ["DYmumu", "DYee"], TT: ["TTbar"]}
    members[SIGNAL] = ["Higgs"]
    summed = {"flavour": slice(0, len, sum)}
    for plot, index in (("pt", summed), ("pt_mu", {"flavour": hist.loc("mu")})):
        numbers = numbers_of(result_dir, plot)
        assert numbers["edges"] == list(h.axes["pt"].edges)
        assert numbers["summed"] == (["flavour"] if plot == "pt" else [])
        assert list(numbers["groups"]) == [DY, TT, SIGNAL, DATA]
        for group, entry in numbers["groups"].items():
            values, variances = expected(h, members[group], **index)
            assert entry["datasets"] == members[group]
            assert entry["values"] == values.tolist()  # exactly, not approximately
            assert entry["variances"] == variances.tolist()
            assert entry["yield"] == float(np.sum(values))
            assert entry["yield_variance"] == float(np.sum(variances))
        kinds = {g: e["kind"] for g, e in numbers["groups"].items()}
        assert kinds == {DY: "stack", TT: "stack", SIGNAL: "signal", DATA: "data"}
        stack = numbers["stack_total"]
        dy, tt = numbers["groups"][DY], numbers["groups"][TT]
        assert stack["groups"] == [DY, TT]
        assert stack["values"] == (np.array(dy["values"]) + tt["values"]).tolist()
        assert stack["yield"] == pytest.approx(dy["yield"] + tt["yield"], rel=1e-12)
    data = numbers_of(result_dir, "pt")["groups"][DATA]
    assert data["yield"] == data["yield_variance"] > 100  # unit weights: variance = count


def test_a_selected_category_against_the_sum_over_it(result_dir, drawn):
    combined, mu, e = (numbers_of(result_dir, p)["groups"] for p in ("pt", "pt_mu", "pt_e"))
    for group in combined:
        both = np.add(mu[group]["values"], e[group]["values"])
        np.testing.assert_allclose(combined[group]["values"], both, rtol=1e-12)
    # the synthetic "data" are dimuon events: the flavours differ, so selecting matters
    assert mu[DATA]["yield"] > 10 * e[DATA]["yield"]
    assert e[DY]["yield"] > 0


def test_under_and_overflow_are_given_apart_and_not_counted(result_dir, drawn):
    result = load_result(result_dir)
    h = result.histograms["pt"]
    data = numbers_of(result_dir, "pt_mu")["groups"][DATA]
    flows = [
        h[{"dataset": d, "systematic": "nominal", "flavour": "mu"}].values(flow=True)
        for d in ("DoubleMuA", "DoubleMuB")
    ]
    assert data["overflow"]["value"] == sum(f[-1] for f in flows) > 0
    assert data["yield"] + data["overflow"]["value"] == sum(f.sum() for f in flows)


def test_colours_take_root_names_and_default_to_the_cms_palette(result_dir, drawn):
    groups = numbers_of(result_dir, "pt")["groups"]
    assert groups[TT]["color"] == colour("kOrange-4") == "#ffcc66"
    assert groups[DY]["color"] == colour("kAzure-9") == "#99ccff"  # the first of the stack
    assert groups[SIGNAL]["color"] == "#ff0000"
    assert groups[DATA]["color"] == "black"


def test_plot_numbers_are_what_the_json_holds(result_dir, drawn):
    numbers = plot_numbers(load_result(result_dir), "pt_e")
    assert json.loads(json.dumps(numbers, ensure_ascii=False)) == numbers_of(result_dir, "pt_e")


def test_yields_per_category_and_combined(result_dir, drawn):
    table = yields(load_result(result_dir))
    assert (table.histogram, table.axis) == ("pt", "flavour")
    assert table.columns == ["mu", "e", COMBINED]
    assert table.kinds == {DY: "stack", TT: "stack", SIGNAL: "signal", DATA: "data"}
    for plot, column in (("pt_mu", "mu"), ("pt_e", "e"), ("pt", COMBINED)):
        for group, entry in numbers_of(result_dir, plot)["groups"].items():
            cell = table.cells[group][column]
            assert cell.value == entry["yield"]
            assert cell.error == math.sqrt(entry["yield_variance"])
    data = table.cells[DATA]
    assert data["mu"].value + data["e"].value == data[COMBINED].value
    assert data[COMBINED].error == math.sqrt(data[COMBINED].value)  # √N for data


def test_yields_against_a_reference_give_difference_and_pull(result_dir):
    result = load_result(result_dir)
    config = result.config
    ours = yields(result, config).cells[DY]["e"]
    config.yields = Yields(reference={DY: {"e": [ours.value + 3.0, 4.0]}, DATA: {"mu": 7}})
    table = yields(result, config)
    by_cell = {(c.group, c.column): c for c in table.comparisons}
    dy = by_cell[(DY, "e")]
    assert dy.difference == pytest.approx(-3.0)
    assert dy.pull == pytest.approx(-3.0 / math.sqrt(ours.variance + 16.0))
    data = by_cell[(DATA, "mu")]
    assert data.reference_error == 0 and data.difference == table.cells[DATA]["mu"].value - 7
    assert table.as_dict()["comparisons"][0]["pull"] == dy.pull

    config.yields = Yields(reference={"Z/γ* → ll": {"e": 1}})
    with pytest.raises(PlotError, match=r"no group 'Z/γ\* → ll' \(did you mean 'Z/γ\* → ℓℓ'"):
        yields(result, config)
    config.yields = Yields(reference={DY: {"ee": 1}})
    with pytest.raises(PlotError, match=r"no column 'ee'.*columns: mu, e, combined"):
        yields(result, config)


def test_mistakes_in_plots_are_clear_and_nothing_is_drawn(result_dir, tmp_path):
    result = load_result(result_dir)
    config = result.config
    config.plots = {
        "fine": Plot(histogram="pt", data=DATA),
        "two_d": Plot(histogram="pt_eta", stack=[DY]),
        "flavour": Plot(histogram="pt", data=DATA, select={"flavour": "muon"}),
        "axis": Plot(histogram="pt", data=DATA, select={"flavor": "mu"}),
        "group": Plot(histogram="pt", stack=["Drell-Yan"]),
        "colour": Plot(histogram="pt", stack=[DY], colors={DY: "kAzul"}),
    }
    with pytest.raises(PlotError) as info:
        plot_result(result, config, tmp_path / "figures")
    message = str(info.value)
    assert message.startswith("5 problems in the plots:")
    assert "plot 'two_d': histogram 'pt_eta' has 2 numeric axes (pt, eta)" in message
    assert "no category 'muon' (did you mean 'mu'?); categories: mu, e" in message
    assert "no category axis 'flavor' to select (did you mean 'flavour'?)" in message
    assert "plot 'group': no dataset of the result is in group 'Drell-Yan'" in message
    assert "'kAzul' (colour of 'Z/γ* → ℓℓ') is not a matplotlib colour" in message
    assert not (tmp_path / "figures").exists()
    with pytest.raises(PlotError, match="the result has no histogram 'ptt' \\(did you mean"):
        group_histograms(result, "ptt", {DATA: "data"})


def test_the_plot_model_checks_itself():
    with pytest.raises(ValueError, match="listed more than once in stack, signal and data: 'A'"):
        Plot(stack=["A"], signal=["A"])
    with pytest.raises(ValueError, match="'ratio' needs 'data'"):
        Plot(stack=["A"], ratio=True)
    with pytest.raises(ValueError, match="'ylim' of a log axis must start above 0"):
        Plot(stack=["A"], logy=True, ylim=(0, 10))
    assert Plot(data="D").legend == "upper right"


def test_cli_plot_and_yields(result_dir, drawn, tmp_path, capsys):
    assert main(["plot", str(result_dir), "--output", str(tmp_path / "p")]) == 0
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == sorted(p.name for p in drawn)
    for path in drawn:  # the same result gives the same files, byte for byte
        assert (tmp_path / "p" / path.name).read_bytes() == path.read_bytes(), path.name
    assert "3 plot(s) (PNG, PDF and JSON)" in capsys.readouterr().err

    assert main(["yields", str(result_dir)]) == 0
    out = capsys.readouterr().out
    assert "yields of 'pt' (per flavour" in out and DY in out and "combined" in out
    assert "against the reference" in out and "σ" in out


def test_cli_bad_input_is_one_clear_line(result_dir, tmp_path, capsys):
    assert main(["plot", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err
    assert "no manifest.json here" in err and "Traceback" not in err

    # a YAML whose plot names a group that has datasets in the YAML but none in the result
    document = {
        "name": "other",
        "processor": "analyses/a.py:LeadingLepton",
        "luminosity": 1000.0,
        "datasets": {
            **DATASETS,
            "Extra": {"files": ["x.root"], "kind": "mc", "xsec": 1.0, "group": "Extra"},
        },
        "histograms": HISTOGRAMS,
        "plots": {"pt": {"stack": ["Extra"], "data": DATA}},
    }
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(document, allow_unicode=True))
    assert main(["plot", str(result_dir), "--config", str(other)]) == 1
    err = capsys.readouterr().err
    assert "plot 'pt': no dataset of the result is in group 'Extra'" in err
    assert "Traceback" not in err


def test_the_numbers_and_yields_tables_do_without_matplotlib():
    """``opencoffea yields`` does not pay for importing matplotlib and mplhep: the figures'
    functions load them when first asked for."""
    code = textwrap.dedent("""
        import sys
        from opencoffea.plotting import plot_numbers, render_yields, yields
        print(sorted({"matplotlib", "mplhep"} & set(sys.modules)))
        from opencoffea.plotting import plot_result
        print("mplhep" in sys.modules, plot_result.__module__)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "True opencoffea.plotting.figures"]


def test_without_plots_a_quick_look_at_each_histogram(result_dir, tmp_path):
    """Groups stacked under the data's points; with no single data group, each a line. A 2D
    histogram cannot be drawn: no quick look at it."""
    result = load_result(result_dir)
    bare = result.config.model_copy(update={"plots": {}})
    written = plot_result(result, bare, tmp_path / "quick")
    assert [p.name for p in written] == ["pt.png", "pt.pdf", "pt.json"]
    numbers = json.loads((tmp_path / "quick" / "pt.json").read_text())
    assert numbers["quick_look"] is True and numbers["summed"] == ["flavour"]
    kinds = {g: e["kind"] for g, e in numbers["groups"].items()}
    assert kinds == {DY: "stack", TT: "stack", SIGNAL: "stack", DATA: "data"}
    assert numbers_of(result_dir, "pt")["quick_look"] is False

    datasets = dict(bare.datasets)  # two data groups: nothing to stack them against
    datasets["DoubleMuB"] = datasets["DoubleMuB"].model_copy(update={"group": "Data B"})
    regrouped = bare.model_copy(update={"datasets": datasets})
    numbers = plot_numbers(result, "pt", regrouped)
    assert {e["kind"] for e in numbers["groups"].values()} == {"signal"}
    assert numbers["stack_total"]["groups"] == []


def test_annotations_and_the_cms_luminosity_label(result_dir, tmp_path):
    result = load_result(result_dir)
    notes = [{"text": "$J/\\psi$", "x": 3.1}, {"text": "far", "x": 500}, {"text": "Z", "x": 45}]
    plot = Plot(**{**PLOTS["pt_mu"], "annotations": notes, "energy": 13})
    config = result.config.model_copy(update={"plots": {"annotated": plot}})
    plot_result(result, config, tmp_path)
    numbers = json.loads((tmp_path / "annotated.json").read_text())
    # each above the highest thing drawn within 2 % of the axis around it; "far" is off it
    assert [n["text"] for n in numbers["annotations"]] == ["$J/\\psi$", "Z"]
    drawn = numbers["groups"]
    tops = np.max(
        [
            np.add(drawn[DY]["values"], drawn[TT]["values"]),
            np.add(np.add(drawn[DY]["values"], drawn[TT]["values"]), drawn[SIGNAL]["values"]),
            np.add(drawn[DATA]["values"], np.sqrt(drawn[DATA]["values"])),
        ],
        axis=0,
    )
    z = numbers["annotations"][1]
    assert z["y"] == pytest.approx(tops[15] + 0.03 * tops.max())  # bin 15: 45-48 GeV
    figure = figure_of(result, "annotated", config)
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert "$J/\\psi$" in texts and "Z" in texts and "far" not in texts
    assert "1 fb$^{-1}$ (13 TeV)" in texts  # CMS: luminosity, then √s, on the right


def test_a_figure_shown_outside_the_style_is_the_figure_saved(result_dir, drawn, tmp_path):
    """A figure (``result.plot(name)``) keeps the CMS style wherever it is drawn (a notebook, a
    savefig): the same pixels as the PNG the plots command writes."""
    result = load_result(result_dir)
    figure_of(result, "pt_mu").savefig(tmp_path / "pt_mu.png", dpi=100)
    assert (tmp_path / "pt_mu.png").read_bytes() == (
        result_dir / "plots" / "pt_mu.png"
    ).read_bytes()


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
