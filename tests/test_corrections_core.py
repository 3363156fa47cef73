"""The shared core of the corrections: payloads by declared input names, per-object seeds."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from opencoffea.corrections.payloads import correction, evaluate, load_payload
from opencoffea.corrections.seeds import gaussian, object_gaussian
from opencoffea.errors import CorrectionError

from .conftest import real_file


def jme():
    return load_payload(
        real_file(
            "corrections", "jsonpog-integration", "POG", "JME", "2016postVFP_UL", "jet_jerc.json.gz"
        )
    )


def test_inputs_are_matched_by_name_and_jagged_structure_is_kept():
    compound = correction(jme(), "Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs")
    pt = ak.Array([[30.0, 50.0], [], [80.0]])
    eta = ak.Array([[0.1, 1.0], [], [-2.0]])
    area = ak.full_like(pt, 0.5)
    rho = ak.full_like(pt, 20.0)
    # given in another order than declared (JetA, JetEta, JetPt, Rho), with one extra input
    got = evaluate(compound, Rho=rho, JetPt=pt, JetEta=eta, JetA=area, unused=3)
    direct = compound.evaluate(
        np.full(3, 0.5), np.array([0.1, 1.0, -2.0]), np.array([30.0, 50.0, 80.0]), np.full(3, 20.0)
    )
    assert ak.num(got).tolist() == [2, 0, 1]
    np.testing.assert_array_equal(ak.to_numpy(ak.flatten(got)), direct)
    with pytest.raises(CorrectionError, match=r"needs inputs \['JetA', 'JetEta', 'JetPt', 'Rho'\]"):
        evaluate(compound, JetPt=pt)


def test_an_unknown_key_suggests_near_ones():
    with pytest.raises(
        CorrectionError, match="did you mean 'Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs'"
    ):
        correction(jme(), "Summer19UL16_V7_MC_L1L2L3Res_AK4PFch")


def test_a_payload_is_loaded_once_per_process():
    assert jme() is jme()


def test_seeds_depend_on_the_object_only():
    n = 200_000
    run, lumi, event = np.full(n, 1), np.full(n, 2), np.arange(n)
    z = gaussian(run, lumi, event, np.zeros(n, dtype=int), "jer")
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 0.01
    again = gaussian(
        run[1000:2000], lumi[1000:2000], event[1000:2000], np.zeros(1000, dtype=int), "jer"
    )
    np.testing.assert_array_equal(again, z[1000:2000])  # any chunking, the same numbers
    other = gaussian(run, lumi, event, np.zeros(n, dtype=int), "egamma")
    assert abs(np.corrcoef(z, other)[0, 1]) < 0.01  # streams are independent


def test_object_gaussian_follows_the_stored_index():
    events = ak.Array(
        {
            "run": [1, 1],
            "luminosityBlock": [3, 3],
            "event": [10, 11],
            "Jet": [[{"pt": 1.0}, {"pt": 2.0}], [{"pt": 3.0}]],
        }
    )
    z = object_gaussian(events, events.Jet, "jer")
    assert ak.num(z).tolist() == [2, 1]
    first = object_gaussian(events[:1], events.Jet[:1], "jer")
    assert ak.to_list(first[0]) == ak.to_list(z[0])
