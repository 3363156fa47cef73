"""The ``out`` of a processor: cuts, selection stages, weights and filling."""

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
