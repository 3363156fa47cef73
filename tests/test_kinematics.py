"""``momenta``: the first objects of each event as numpy four-vectors, and the dimuon analysis."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import uproot
import vector

from opencoffea import AnalysisError, momenta, run
from opencoffea.events import describe, events_from, open_file
from opencoffea.samples import generate

from .helpers import config_of
from .test_run import DIMUON, DIMUON_HISTOGRAMS

vector.register_awkward()
FIELDS = ("pt", "eta", "phi", "mass")


def _awkward_vectors(objects: ak.Array) -> ak.Array:
    """The same objects as vector's awkward four-vectors: what momenta must agree with."""
    return ak.zip({f: objects[f] for f in FIELDS}, with_name="Momentum4D")


def test_pairs_add_up_bit_for_bit_as_vectors_awkward_four_vectors(tmp_path):
    path = generate("dimuon_data", tmp_path / "data.root", 20_000, seed=5, kind="data")
    with open_file(str(path)) as file:
        events = events_from(file, describe(file, str(path)))
        muons = events.Muon[ak.num(events.Muon) == 2]
        pairs = momenta(muons, 2)
        expected = _awkward_vectors(muons)
        dimuon, reference = pairs[:, 0] + pairs[:, 1], expected[:, 0] + expected[:, 1]
    assert len(muons) > 1000 and pairs.shape == (len(muons), 2)
    for quantity in ("mass", "pt", "eta", "phi"):
        np.testing.assert_array_equal(getattr(dimuon, quantity), getattr(reference, quantity))


def test_the_first_objects_of_events_that_have_more(nanoaod):
    path = str(nanoaod("nano_tt_v15.root"))
    with open_file(path) as file:
        events = events_from(file, describe(file, path))
        jets = events.Jet[ak.num(events.Jet) >= 3]
        first = momenta(jets, 3)
        expected = _awkward_vectors(jets[:, :3])
    assert len(jets) > 100 and ak.any(ak.num(jets) > 3)  # some events have more than 3
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(first, field), ak.to_numpy(expected[field]))


def test_no_events_give_no_four_vectors():
    nothing = ak.Array([[{f: 1.0 for f in FIELDS}]])[:0]
    assert momenta(nothing, 2).shape == (0, 2)


def test_too_few_objects_or_a_missing_field_stop_the_run():
    events = ak.Array([[{f: 1.0 for f in FIELDS}] * 2, [{f: 1.0 for f in FIELDS}]])
    with pytest.raises(AnalysisError, match=r"1 of 2 events have fewer than 2 objects") as err:
        momenta(events, 2)
    assert err.value.stops_run
    with pytest.raises(AnalysisError, match="no field 'mass'"):
        momenta(ak.Array([[{"pt": 1.0, "eta": 0.0, "phi": 0.0}]]), 1)


def test_the_dimuon_analysis_fills_what_a_hand_written_vector_loop_fills(tmp_path):
    path = generate("dimuon_data", tmp_path / "data.root", 20_000, seed=6, kind="data")
    config = config_of(
        tmp_path,
        datasets={"D": {"files": [str(path)], "kind": "data"}},
        histograms=DIMUON_HISTOGRAMS,
        code=DIMUON,
        cls="DimuonSpectrum",
    )
    result = run(config, executor="iterative", chunksize=7_000, status=False)
    with uproot.open(path) as file:
        m = file["Events"].arrays([f"Muon_{f}" for f in (*FIELDS, "charge")])
    two = m[ak.num(m.Muon_pt) == 2]
    two = two[two.Muon_charge[:, 0] != two.Muon_charge[:, 1]]
    p4 = ak.zip({f: two[f"Muon_{f}"] for f in FIELDS}, with_name="Momentum4D")
    pair = p4[:, 0] + p4[:, 1]
    for name, values in (("mass", pair.mass), ("pt", pair.pt)):
        h = result.raw[name][{"dataset": "D", "systematic": "nominal"}]
        expected = h.copy().reset().fill(ak.to_numpy(values))
        np.testing.assert_array_equal(h.values(flow=True), expected.values(flow=True))
