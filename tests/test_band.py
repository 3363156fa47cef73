"""The uncertainty band of a plot against a numpy computation written here, on a small hand-made
result: three processes (ZZ of two datasets, tt̄, a Higgs signal) and two sources, ``jes`` (a
shape variation that moves ZZ and tt̄ in opposite directions in some bins and that the signal
lacks) and ``pileup`` (a weight variation of every simulated dataset but one)."""

from __future__ import annotations

import json

import hist
import numpy as np
import pytest

from opencoffea.config import AnalysisConfig, Normalisation, SystBand
from opencoffea.errors import PlotError
from opencoffea.plotting import plot_numbers, plot_result
from opencoffea.plotting.band import plot_band, uncertainty_band
from opencoffea.plotting.numbers import plot_groups
from opencoffea.results import Result

EDGES = np.array([0.0, 1.0, 2.0, 3.0])
# dataset → variation → values in the 3 bins (a dataset without a variation has none here)
VALUES = {
    "ZZa": {
        "nominal": [10.0, 20.0, 5.0],
        "jesUp": [12.0, 19.0, 6.0],
        "jesDown": [9.0, 22.0, 4.5],
        "pileupUp": [10.5, 21.0, 5.2],
        "pileupDown": [9.6, 19.0, 4.9],
    },
    "ZZb": {  # the same group; no pileup variation (its nominal stands in)
        "nominal": [1.0, 2.0, 3.0],
        "jesUp": [1.5, 2.0, 2.0],
        "jesDown": [0.5, 2.5, 3.5],
    },
    "TT": {
        "nominal": [4.0, 8.0, 2.0],
        "jesUp": [3.0, 9.5, 1.0],  # against ZZ in bins 1 and 3
        "jesDown": [4.5, 7.0, 2.5],
        "pileupUp": [4.2, 8.4, 2.2],
        "pileupDown": [3.9, 7.7, 1.8],
    },
    "H": {  # no jes at all
        "nominal": [0.5, 3.0, 0.2],
        "pileupUp": [0.6, 3.3, 0.2],
        "pileupDown": [0.4, 2.9, 0.2],
    },
    "Data": {"nominal": [14.0, 30.0, 12.0]},
}
GROUPS = {"ZZa": "ZZ", "ZZb": "ZZ", "TT": "tt", "H": "H", "Data": "Data"}


def hand_made_result(**plot) -> Result:
    """A result of the five datasets above, variances = values / 2, and one plot ``x``."""
    datasets = {
        name: {"files": [f"{name}.root"], "kind": "data" if name == "Data" else "mc"}
        | ({"xsec": 1.0} if name != "Data" else {})
        | {"group": GROUPS[name]}
        for name in VALUES
    }
    config = AnalysisConfig(
        name="band",
        processor="analysis.py:Analysis",
        luminosity=1.0,
        datasets=datasets,
        histograms={"x": {"axes": [{"name": "x", "bins": 3, "start": 0, "stop": 3}]}},
        plots={"x": {"stack": ["ZZ", "tt"], "signal": ["H"], "data": "Data", **plot}},
        normalisation=Normalisation(lumi=0.05, xsec={"tt": 0.2}),
    )
    h = hist.Hist(
        hist.axis.StrCategory([], name="dataset", growth=True),
        hist.axis.StrCategory([], name="systematic", growth=True),
        hist.axis.Regular(3, 0, 3, name="x"),
        storage=hist.storage.Weight(),
    )
    centres = (EDGES[:-1] + EDGES[1:]) / 2
    for dataset, variations in VALUES.items():
        for systematic, values in variations.items():
            h.fill(dataset=dataset, systematic=systematic, x=centres, weight=values)
    view = h.view()  # variances of a hand-made histogram: values / 2
    view.variance = view.value / 2
    inputs = {name: {"group": GROUPS[name], "kind": d["kind"]} for name, d in datasets.items()}
    return Result(config, {"inputs": inputs}, {"x": h}, {"x": h}, {}, {})


def by_hand(sources=("jes", "pileup", "lumi", "xsec_tt"), processes=("ZZ", "tt", "H")):
    """The band's systematic shifts (up, down) and statistical error, written out in numpy."""
    members = {"ZZ": ["ZZa", "ZZb"], "tt": ["TT"], "H": ["H"]}

    def values(process, variation):
        return sum(
            np.array(VALUES[d].get(variation, VALUES[d]["nominal"])) for d in members[process]
        )

    nominal = sum(values(p, "nominal") for p in processes)
    up_squares, down_squares = np.zeros(3), np.zeros(3)
    for source in sources:
        if source in ("jes", "pileup"):
            # processes summed first for each shift: the source moves them together
            delta_up = sum(values(p, f"{source}Up") for p in processes) - nominal
            delta_down = sum(values(p, f"{source}Down") for p in processes) - nominal
        else:
            kappa = {"lumi": {"ZZ": 1.05, "tt": 1.05, "H": 1.05}, "xsec_tt": {"tt": 1.2}}[source]
            delta_up = sum(values(p, "nominal") * (kappa[p] - 1) for p in processes if p in kappa)
            delta_down = -delta_up
        up_squares += np.maximum(np.maximum(delta_up, delta_down), 0) ** 2
        down_squares += np.minimum(np.minimum(delta_up, delta_down), 0) ** 2
    stat = np.sqrt(nominal / 2)
    return nominal, np.sqrt(up_squares), -np.sqrt(down_squares), stat


def test_the_band_is_the_hand_computation():
    result = hand_made_result()
    numbers = plot_numbers(result, "x")
    band = numbers["band"]
    nominal, up, down, stat = by_hand()
    assert band["sources"] == ["jes", "pileup", "lumi", "xsec_tt"]
    assert band["stat"] == "merge"
    np.testing.assert_allclose(band["syst_up"], up)
    np.testing.assert_allclose(band["syst_down"], down)
    np.testing.assert_allclose(band["stat_error"], stat)
    np.testing.assert_allclose(band["up"], nominal + np.hypot(up, stat))
    np.testing.assert_allclose(band["down"], nominal - np.hypot(down, stat))
    # the correlation across processes matters here: per process in quadrature is not it
    _, jes_up, _, _ = by_hand(sources=("jes",))
    apart = np.hypot(*(by_hand(sources=("jes",), processes=(p,))[1] for p in ("ZZ", "tt")))
    assert not np.allclose(jes_up, apart)


def test_each_group_has_its_own_shifts_in_the_json():
    numbers = plot_numbers(hand_made_result(), "x")
    for group in ("ZZ", "tt", "H"):
        _, up, down, _ = by_hand(processes=(group,))
        np.testing.assert_allclose(numbers["groups"][group]["syst_up"], up)
        np.testing.assert_allclose(numbers["groups"][group]["syst_down"], down)
    assert "syst_up" not in numbers["groups"]["Data"]


def test_sources_chosen_and_statistics_apart():
    result = hand_made_result(syst_band={"sources": ["pileup", "xsec_tt"], "stat": "separate"})
    band = plot_numbers(result, "x")["band"]
    nominal, up, down, _ = by_hand(sources=("pileup", "xsec_tt"))
    np.testing.assert_allclose(band["up"], nominal + up)  # the statistical part apart
    np.testing.assert_allclose(band["down"], nominal + down)


def test_no_band_when_asked_for_none_or_nothing_varies():
    assert plot_numbers(hand_made_result(syst_band=None), "x")["band"] is None
    result = hand_made_result(syst_band={"sources": []})
    assert plot_numbers(result, "x")["band"] is None


def test_a_quick_look_that_stacks_has_the_band_one_of_lines_none():
    result = hand_made_result()
    quick = result.config.model_copy(update={"plots": {}})  # no plots: a quick look at x
    numbers = plot_numbers(result, "x", quick)
    nominal, up, _, stat = by_hand()  # ZZ, tt and H stacked under the data
    assert numbers["quick_look"]
    np.testing.assert_allclose(numbers["band"]["up"], nominal + np.hypot(up, stat))
    inputs = {d: {**r, "kind": "mc"} for d, r in result.manifest["inputs"].items()}
    lines = Result(quick, {"inputs": inputs}, result.histograms, result.raw, {}, {})
    assert plot_numbers(lines, "x")["band"] is None  # no data group: each group a line


def test_an_unknown_source_is_a_clear_error_before_drawing(tmp_path):
    result = hand_made_result(syst_band=SystBand(sources=["jes", "pilup"]))
    with pytest.raises(PlotError, match=r"no uncertainty 'pilup' .*did you mean 'pileup'"):
        plot_result(result, directory=tmp_path)
    assert not list(tmp_path.iterdir())


def test_the_function_alone_one_sided_and_normalisation():
    nominal = {"a": np.array([2.0, 4.0]), "b": np.array([1.0, 1.0])}
    shifts = {"s": {"a": (np.array([3.0, 3.0]), None)}}  # no down shift: nominal
    band = uncertainty_band(nominal, shifts, {"n": {"b": 1.5}}, stat="separate")
    # s: Δup = (+1, −1), Δdown = 0 → up (1, 0), down (0, −1); n: ±0.5 on b
    np.testing.assert_allclose(band.syst_up, np.hypot([1.0, 0.0], 0.5))
    np.testing.assert_allclose(band.syst_down, -np.hypot([0.0, 1.0], 0.5))
    np.testing.assert_allclose(band.stat, 0.0)


def test_the_figure_draws_the_band_and_its_json_beside_it(tmp_path):
    result = hand_made_result(ratio=True)
    written = plot_result(result, directory=tmp_path)
    assert sorted(p.name for p in written) == ["x.json", "x.pdf", "x.png"]
    on_disk = json.loads((tmp_path / "x.json").read_text())
    config = result.config
    plot = config.plots["x"]
    band = plot_band(result, config, "x", plot, plot_groups(result, config, "x", plot))
    assert band is not None
    assert on_disk["band"]["up"] == band.up.tolist()
