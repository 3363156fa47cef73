"""The ``out`` of a processor: cuts, selection stages, categories, weights and filling."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from opencoffea.config import Histogram
from opencoffea.errors import AnalysisError
from opencoffea.histograms import book
from opencoffea.output import Cutflow, Output
from opencoffea.recorder import Recorder


def recorder(weights, **hists):
    specs = {name: Histogram(axes=axes) for name, axes in hists.items()}
    output = Output(histograms=book(specs))
    return output, Recorder(output, "DY", np.asarray(weights, dtype=float))


X = [{"name": "x", "bins": 10, "start": 0, "stop": 10}]


def test_cuts_record_events_and_weights_in_order():
    output, out = recorder([1, 2, 3, 4], h=X)
    out.cut("first", np.array([True, True, False, True]))
    out.cut("second", np.array([False, True, True]))  # given at the length after "first"
    assert output.cutflows["DY"].as_list() == [
        {"cut": "all events", "events": 4, "sumw": 10.0},
        {"cut": "first", "events": 3, "sumw": 7.0},
        {"cut": "second", "events": 2, "sumw": 6.0},
    ]
    assert out.weight.tolist() == [2.0, 4.0]


def test_arrays_of_any_stage_line_up_with_the_selected_events():
    output, out = recorder([1, 1, 1, 1, 1], h=X)
    full = np.array([0.5, 1.5, 2.5, 3.5, 4.5])
    out.cut("a", full > 1)  # keeps 1, 2, 3, 4
    after_a = out.select(full)
    out.cut("b", after_a < 4)  # keeps 1, 2, 3
    assert out.select(full).tolist() == [1.5, 2.5, 3.5]
    assert out.select(after_a).tolist() == [1.5, 2.5, 3.5]
    out.fill("h", x=full)  # a full-length array is masked by every cut
    assert output.histograms["h"]["DY", "nominal", :].values().tolist()[1:4] == [1, 1, 1]
    with pytest.raises(AnalysisError, match="length 2 does not line up"):
        out.select(np.zeros(2))


def test_missing_values_fail_cuts_and_are_not_filled():
    output, out = recorder([1, 1, 1], h=X)
    out.cut("defined", ak.Array([True, None, True]))
    out.fill("h", x=ak.Array([1.0, None]))
    assert output.histograms["h"]["DY", "nominal", :].values().sum() == 1


def test_per_object_values_carry_their_event_weight():
    output, out = recorder([2, 3], h=X)
    out.fill("h", x=ak.Array([[1.0, 1.0, 5.0], [5.0]]))
    values = output.histograms["h"]["DY", "nominal", :].values()
    assert values[1] == 4.0 and values[5] == 5.0


def test_string_category_and_extra_weight():
    axes = [*X, {"name": "channel", "categories": ["4mu", "4e"]}]
    output, out = recorder([1, 1], h=axes)
    out.fill("h", x=np.array([1.0, 2.0]), channel="4e", weight=np.array([0.5, 0.25]))
    assert output.histograms["h"]["DY", "nominal", :, "4e"].values().sum() == 0.75


def test_fill_names_the_mistake():
    _, out = recorder([1], mass=X)
    with pytest.raises(AnalysisError, match="did you mean 'mass'"):
        out.fill("mas", x=[1.0])
    with pytest.raises(AnalysisError, match=r"has axes \['x'\]; fill was given \['y'\]"):
        out.fill("mass", y=[1.0])


def test_outputs_add_up_in_any_grouping():
    def chunk(dataset, values):
        output = Output(histograms=book({"h": Histogram(axes=X)}))
        out = Recorder(output, dataset, np.ones(len(values)))
        out.cut("x > 2", np.asarray(values) > 2)
        out.fill("h", x=np.asarray(values, dtype=float))
        return output

    a, b, c = chunk("A", [1, 3]), chunk("B", [4]), chunk("A", [5, 6])
    left, right = (a + b) + c, a + (b + c)
    assert left.cutflows == right.cutflows
    assert left.cutflows["A"].entries == {"all events": (4, 4.0), "x > 2": (3, 3.0)}
    for ds in ("A", "B"):
        np.testing.assert_array_equal(
            left.histograms["h"][ds, "nominal", :].values(),
            right.histograms["h"][ds, "nominal", :].values(),
        )


def test_cutflow_merges_by_name():
    merged = Cutflow({"all": (1, 1.0)}) + Cutflow({"all": (2, 2.0), "more": (1, 1.0)})
    assert merged.as_list()[1] == {"cut": "more", "events": 1, "sumw": 1.0}


def test_weight_variations_are_filled_from_the_same_values():
    specs = {"h": Histogram(axes=X)}
    output = Output(histograms=book(specs))
    out = Recorder(
        output,
        "DY",
        np.array([2.0, 2.0, 2.0]),
        weight_variations={"puUp": np.array([1.5, 1.0, 0.5]), "puDown": np.array([0.5, 1.0, 1.5])},
    )
    out.cut("not the last", np.array([True, True, False]))
    out.fill("h", x=ak.Array([[1.0, 1.0], [2.0]]))
    h = output.histograms["h"]
    assert h["DY", "nominal", :].values()[1:3].tolist() == [4.0, 2.0]
    assert h["DY", "puUp", :].values()[1:3].tolist() == [6.0, 2.0]
    assert h["DY", "puDown", :].values()[1:3].tolist() == [2.0, 2.0]
    # the cutflow is nominal only
    assert output.cutflows["DY"].entries["not the last"] == (2, 4.0)


def test_reweight_multiplies_and_adds_variations_for_later_fills():
    output = Output(histograms=book({"h": Histogram(axes=X)}))
    out = Recorder(output, "DY", np.ones(3))
    out.cut("two", np.array([True, False, True]))
    out.reweight(
        "muonId", np.array([0.5, 2.0]), up=np.array([1.0, 2.0]), down=np.array([0.25, 1.0])
    )
    out.fill("h", x=np.array([1.0, 1.0]))
    h = output.histograms["h"]
    assert h["DY", "nominal", :].values()[1] == 2.5
    assert h["DY", "muonIdUp", :].values()[1] == 3.0
    assert h["DY", "muonIdDown", :].values()[1] == 1.25


# ---------------------------------------------------------------------------- a subset: where=


def test_where_fills_a_subset_given_at_any_stage():
    output, out = recorder([1, 2, 3, 4], h=X)
    full = np.array([1.5, 2.5, 3.5, 4.5])
    out.cut("not the first", np.array([False, True, True, True]))
    out.fill("h", x=full, where=full < 4)  # a mask of the chunk's length
    out.fill("h", x=full, where=np.array([True, False, False]))  # of the length now
    assert output.histograms["h"]["DY", "nominal", :].values().tolist()[1:5] == [0, 4, 3, 0]


def test_where_applies_to_per_object_values_and_weight_variations():
    output = Output(histograms=book({"h": Histogram(axes=X)}))
    out = Recorder(output, "DY", np.array([2.0, 3.0]), weight_variations={"puUp": [2.0, 10.0]})
    out.fill("h", x=ak.Array([[1.0, 1.0], [1.0]]), where=ak.Array([True, None]))
    h = output.histograms["h"]
    assert h["DY", "nominal", :].values()[1] == 4.0  # two muons of the first event
    assert h["DY", "puUp", :].values()[1] == 8.0


def test_nan_is_an_error_that_points_to_where():
    output, out = recorder([1, 1, 1], h=X)
    mass = np.array([1.0, np.nan, 2.0])
    with pytest.raises(AnalysisError, match=r"fill 'h': axis 'x' has NaN for 1 of 3 .*where="):
        out.fill("h", x=mass)
    with pytest.raises(AnalysisError, match="axis 'x' has NaN"):
        out.fill("h", x=ak.Array([[1.0], [np.nan, None], []]))
    assert output.histograms["h"].values().sum() == 0  # nothing was filled
    out.fill("h", x=mass, where=~np.isnan(mass))  # NaN outside the subset: not filled
    out.fill("h", x=ak.Array([None, 3.0, None]))  # missing: skipped, as documented
    assert output.histograms["h"]["DY", "nominal", :].values().tolist()[1:4] == [1, 1, 1]


# ---------------------------------------------------------------------------- categories

CHANNEL = [*X, {"name": "channel", "categories": ["4mu", "4e"]}]


def test_a_category_has_its_own_cuts_cutflow_and_axis_value():
    output, out = recorder([1, 2, 3, 4, 5], h=CHANNEL, n=X)
    out.cut("four leptons", np.array([True, True, True, True, False]))
    four_mu = out.category(channel="4mu")
    four_e = out.category(channel="4e")
    four_mu.cut("muons", np.array([True, True, False, False]))
    four_e.cut("electrons", np.array([False, True, True, True, False]))  # chunk's length
    four_e.cut("Z1 mass", np.array([True, False, True]))
    four_mu.fill("h", x=np.array([1.0, 2.0]))
    four_e.fill("h", x=np.array([1.0, 2.0, 3.0, 4.0, 5.0]))  # lined up: events 2 and 4
    out.cut("in a channel", np.array([True, True, False, True]))
    assert out.selected == 3 and four_mu.selected == 2 and four_e.selected == 2
    cutflows = {key: cutflow.as_list() for key, cutflow in output.cutflows.items()}
    assert cutflows["DY/4mu"] == [
        {"cut": "all events", "events": 5, "sumw": 15.0},
        {"cut": "four leptons", "events": 4, "sumw": 10.0},
        {"cut": "muons", "events": 2, "sumw": 3.0},
    ]
    assert [(c["cut"], c["events"], c["sumw"]) for c in cutflows["DY/4e"][2:]] == [
        ("electrons", 3, 9.0),
        ("Z1 mass", 2, 6.0),
    ]
    assert [c["cut"] for c in cutflows["DY"]] == ["all events", "four leptons", "in a channel"]
    h = output.histograms["h"]
    assert h["DY", "nominal", :, "4mu"].values().tolist()[1:3] == [1.0, 2.0]
    assert h["DY", "nominal", :, "4e"].values().tolist()[1:5] == [0.0, 2.0, 0.0, 4.0]


def test_a_category_starts_from_its_parent_now_and_reweights_on_its_own():
    output = Output(histograms=book({"h": Histogram(axes=CHANNEL)}))
    out = Recorder(output, "DY", np.ones(2), weight_variations={"puUp": [2.0, 2.0]})
    four_mu = out.category(channel="4mu")
    out.reweight("sf", np.array([10.0, 10.0]), up=np.array([20.0, 20.0]), down=np.ones(2))
    four_mu.reweight("muonId", np.array([0.5, 0.5]))
    assert out.weight.tolist() == [10.0, 10.0] and four_mu.weight.tolist() == [0.5, 0.5]
    four_mu.fill("h", x=np.array([1.0, 1.0]))
    h = output.histograms["h"]
    assert h["DY", "nominal", :, "4mu"].values()[1] == 1.0
    assert h["DY", "puUp", :, "4mu"].values()[1] == 2.0
    assert "sfUp" not in h.axes["systematic"]  # the parent's, after the category began


def test_category_cutflows_add_up_in_any_order():
    def chunk(values):
        output = Output(histograms=book({"h": Histogram(axes=CHANNEL)}))
        out = Recorder(output, "ZZ", np.ones(len(values)))
        values = np.asarray(values, dtype=float)
        for channel, low in (("4mu", 2), ("4e", 3)):
            category = out.category(channel=channel)
            category.cut("x > low", values > low)
            category.fill("h", x=values)
        return output

    a, b, c = chunk([1, 3]), chunk([4, 5, 6]), chunk([2])
    left, right = (a + b) + c, c + (b + a)
    assert left.cutflows == right.cutflows
    assert left.cutflows["ZZ/4mu"].entries == {"all events": (6, 6.0), "x > low": (4, 4.0)}
    assert left.cutflows["ZZ/4e"].entries == {"all events": (6, 6.0), "x > low": (3, 3.0)}


def test_categories_record_no_cutflow_in_a_shape_variation():
    output = Output(histograms=book({"h": Histogram(axes=CHANNEL)}))
    out = Recorder(output, "ZZ", np.ones(2), systematic="jesUp", record_cutflow=False)
    out.category(channel="4mu").cut("any", np.array([True, False]))
    assert output.cutflows == {}


def test_category_mistakes_are_named():
    _, out = recorder([1, 1], h=CHANNEL, n=X)
    four_mu = out.category(channel="4mu")
    with pytest.raises(AnalysisError, match="'channel' is the category of this recorder"):
        four_mu.fill("h", x=np.ones(2), channel="4e")
    with pytest.raises(AnalysisError, match=r"'n' in category channel='4mu'.* no axis 'channel'"):
        four_mu.fill("n", x=np.ones(2))
    with pytest.raises(AnalysisError, match="opened a second time"):
        out.category(channel="4mu")
    with pytest.raises(AnalysisError, match="give one category axis and its value"):
        out.category(channel="4e", region="SR")
    with pytest.raises(AnalysisError, match="is the category channel='4mu' already"):
        four_mu.category(channel="4e")
    assert four_mu.category(region="SR")._key == "DY/4mu/SR"
