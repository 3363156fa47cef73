"""e/γ energy scale and smearing, scale factors and pileup weights, against correctionlib.

Every number is compared with correctionlib evaluated here directly, on flat numpy arrays,
with the clamping written out by hand from the payloads' bins. The real 2016 UL payloads
and NanoAOD files are used where they exist; Run 3 e/γ scale and smearing payloads are not
in the test data, so small ones with the structure of EGM's (keys, inputs, value types)
are written by the tests, as are small NanoAOD files with what the real ones lack.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import awkward as ak
import correctionlib
import correctionlib.schemav2 as schema
import numpy as np
import pytest
import uproot

from opencoffea.corrections.egamma import egamma_energy
from opencoffea.corrections.egamma_payloads import scale_data, smear_mc
from opencoffea.corrections.egamma_sf import electron_weight, photon_weight
from opencoffea.corrections.egamma_stored import variations_from_branches
from opencoffea.corrections.pileup import pileup_weight
from opencoffea.corrections.scalefactors import WeightVariation, muon_weight, product_weight
from opencoffea.corrections.seeds import object_gaussian
from opencoffea.errors import CorrectionError
from opencoffea.events import describe, events_from, open_file

from .conftest import real_file
from .egm_payloads import (
    by_key,
    et_dependent_payload,
    standard_payload,
    write_payload,
)

ERA = "2016postVFP_UL"
BELOW = np.nextafter  # a bin's upper edge is out of range: the clamped value is just below


def pog(pog: str, name: str) -> Path:
    return real_file("corrections", "jsonpog-integration", "POG", pog, ERA, name)


@contextmanager
def events_of(path: Path, start: int = 0, stop: int | None = None) -> Iterator[ak.Array]:
    with open_file(str(path)) as file:
        yield events_from(file, describe(file, str(path)), entry_start=start, entry_stop=stop)


def flat(array: ak.Array) -> np.ndarray:
    return ak.to_numpy(ak.flatten(array)).astype(np.float64)


def per_event(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The product of per-object values over each event, written out with a loop."""
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return np.array([np.prod(values[a:b]) for a, b in itertools.pairwise(bounds)])


# ------------------------------------------------------------------------------ scale factors


@pytest.mark.parametrize(
    "key", ["NUM_TightID_DEN_TrackerMuons", "NUM_TightRelIso_DEN_TightIDandIPCut"]
)
def test_muon_weights_are_the_payloads_product_over_selected_muons(nanoaod, key):
    path = pog("MUO", "muon_Z.json.gz")  # the 4-input signature (year, abseta, pt, ValType)
    direct = correctionlib.CorrectionSet.from_file(str(path))[key]
    with events_of(nanoaod("nano_dy.root")) as events:
        muons = events.Muon[events.Muon.tightId]
        weight = muon_weight(muons, path, key, name="muon")
        counts, pt, abseta = ak.to_numpy(ak.num(muons)), flat(muons.pt), np.abs(flat(muons.eta))
    assert (pt < 15).any()  # real muons below the payload's first pt edge: clamped, not a crash
    pt, abseta = np.maximum(pt, 15.0), np.minimum(abseta, BELOW(2.4, 0))
    expected = {
        v: per_event(direct.evaluate(ERA, abseta, pt, v), counts)
        for v in ("sf", "systup", "systdown")
    }
    assert weight.name == "muon" and weight.varied
    np.testing.assert_allclose(weight.nominal, expected["sf"], rtol=1e-12)
    np.testing.assert_allclose(weight.up, expected["systup"], rtol=1e-12)
    np.testing.assert_allclose(weight.down, expected["systdown"], rtol=1e-12)
    assert np.all(weight.up >= weight.nominal) and np.all(weight.nominal >= weight.down)
    assert weight.nominal[counts == 0].tolist() == [1.0] * int((counts == 0).sum())


def muon_payload_with_three_inputs(path: Path) -> Path:
    """The open-data copy's signature: (abseta, pt, scale_factors "nominal"/"systup"/…),
    binned as the 4-input payload is (abseta, then pt, then the systematic)."""

    def cell(i: int, j: int) -> schema.Category:
        base = 0.95 + 0.01 * i + 0.002 * j
        values = {"nominal": base, "systup": base + 0.01, "systdown": base - 0.01, "syst": 0.01}
        return by_key("scale_factors", values)

    pt = [15.0, 20.0, 30.0, 60.0, 120.0, "inf"]
    data = schema.Binning(
        nodetype="binning",
        input="abseta",
        edges=[0.0, 0.9, 1.2, 2.1, 2.4],
        content=[
            schema.Binning(
                nodetype="binning",
                input="pt",
                edges=pt,
                content=[cell(i, j) for j in range(5)],
                flow="error",
            )
            for i in range(4)
        ],
        flow="error",
    )
    corr = schema.Correction(
        name="NUM_TightID_DEN_TrackerMuons",
        version=1,
        inputs=[
            schema.Variable(name="abseta", type="real"),
            schema.Variable(name="pt", type="real"),
            schema.Variable(name="scale_factors", type="string"),
        ],
        output=schema.Variable(name="weight", type="real"),
        data=data,
    )
    return write_payload(path / "muon_Z_open_data.json.gz", [corr])


def test_muon_weights_read_the_three_input_signature_too(nanoaod, tmp_path):
    path = muon_payload_with_three_inputs(tmp_path)
    direct = correctionlib.CorrectionSet.from_file(str(path))["NUM_TightID_DEN_TrackerMuons"]
    with events_of(nanoaod("nano_dimuon.root")) as events:
        weight = muon_weight(events.Muon, path, "NUM_TightID_DEN_TrackerMuons")
        counts, pt, abseta = (
            ak.to_numpy(ak.num(events.Muon)),
            flat(events.Muon.pt),
            np.abs(flat(events.Muon.eta)),
        )
    pt, abseta = np.maximum(pt, 15.0), np.minimum(abseta, BELOW(2.4, 0))
    for got, kind in (
        (weight.nominal, "nominal"),
        (weight.up, "systup"),
        (weight.down, "systdown"),
    ):
        np.testing.assert_allclose(
            got, per_event(direct.evaluate(abseta, pt, kind), counts), rtol=1e-12
        )


def test_objects_beyond_the_bins_take_the_nearest_bin():
    path = pog("MUO", "muon_Z.json.gz")
    key = "NUM_TightID_DEN_TrackerMuons"
    direct = correctionlib.CorrectionSet.from_file(str(path))[key]
    muons = ak.Array(
        [[{"pt": 5.0, "eta": 2.45}], [{"pt": 3000.0, "eta": -0.1}], [{"pt": 15.0, "eta": 2.4}]]
    )
    with pytest.raises(RuntimeError):  # what the payload itself does with such a muon
        direct.evaluate(ERA, 2.45, 5.0, "sf")
    nominal = muon_weight(muons, path, key).nominal
    last_eta = BELOW(2.4, 0)
    expected = [
        direct.evaluate(ERA, last_eta, 15.0, "sf"),
        direct.evaluate(ERA, 0.1, 3000.0, "sf"),
        direct.evaluate(ERA, last_eta, 15.0, "sf"),
    ]
    np.testing.assert_allclose(nominal, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("collection", "function", "payload", "key", "working_point", "first_pt"),
    [
        ("Electron", electron_weight, "electron.json.gz", "UL-Electron-ID-SF", "Tight", 10.0),
        ("Electron", electron_weight, "electron.json.gz", "UL-Electron-ID-SF", "RecoBelow20", 10.0),
        ("Photon", photon_weight, "photon.json.gz", "UL-Photon-ID-SF", "Medium", 20.0),
    ],
)
def test_egamma_weights_are_the_payloads_product_over_the_objects(
    nanoaod, collection, function, payload, key, working_point, first_pt
):
    path = pog("EGM", payload)
    direct = correctionlib.CorrectionSet.from_file(str(path))[key]
    with events_of(nanoaod("nano_dy.root")) as events:
        objects = events[collection]
        weight = function(objects, path, working_point)
        counts, pt = ak.to_numpy(ak.num(objects)), flat(objects.pt)
        eta = (
            flat(objects.eta + objects.deltaEtaSC)
            if collection == "Electron"
            else flat(objects.eta)
        )
    assert (pt < first_pt).any()
    pt = np.maximum(pt, first_pt)
    if working_point == "RecoBelow20":  # its pt bins end at 20
        pt = np.minimum(pt, BELOW(20.0, 0))
    year = "2016postVFP"  # EGM's spelling; the payload's only year, filled in by the module
    for got, kind in ((weight.nominal, "sf"), (weight.up, "sfup"), (weight.down, "sfdown")):
        np.testing.assert_allclose(
            got, per_event(direct.evaluate(year, kind, working_point, eta, pt), counts), rtol=1e-12
        )
    assert weight.name == f"{collection.lower()}_{working_point}"
    assert np.all(weight.up >= weight.nominal) and np.all(weight.nominal >= weight.down)


def test_a_misspelt_working_point_or_year_is_a_clear_error(nanoaod):
    path = pog("EGM", "electron.json.gz")
    with events_of(nanoaod("nano_dy.root")) as events:
        with pytest.raises(
            CorrectionError, match=r"has no WorkingPoint 'tight' .*did you mean 'Tight'"
        ):
            electron_weight(events.Electron, path, "tight")
        with pytest.raises(CorrectionError, match="has no year '2016'"):
            electron_weight(events.Electron, path, "Tight", year="2016")


def test_a_weight_variation_gives_ratios_for_the_processor():
    weight = product_weight(
        "id",
        ak.Array([[0.9, 0.8], [], [0.5]]),
        ak.Array([[1.0, 0.9], [], [0.6]]),
        ak.Array([[0.8, 0.7], [], [0.4]]),
    )
    np.testing.assert_allclose(weight.nominal, [0.72, 1.0, 0.5])
    np.testing.assert_allclose(weight.ratio("up"), [0.9 / 0.72, 1.0, 1.2])
    zero = WeightVariation(
        "pileup", np.array([0.0, 2.0]), np.array([0.5, 3.0]), np.array([0.0, 1.0])
    )
    np.testing.assert_allclose(zero.ratio("up"), [1.0, 1.5])  # zero nominal: the weight stays 0
    with pytest.raises(CorrectionError, match="no up variation: none here"):
        WeightVariation("x", np.ones(2), note="none here").ratio("up")


# ------------------------------------------------------------------------------ pileup


def test_pileup_weights_are_the_payloads_at_the_true_interactions(nanoaod):
    path = pog("LUM", "puWeights.json.gz")
    key = "Collisions16_UltraLegacy_goldenJSON"
    direct = correctionlib.CorrectionSet.from_file(str(path))[key]
    with events_of(nanoaod("nano_dy.root")) as events:
        weight = pileup_weight(events, path, key)
        true = ak.to_numpy(events.Pileup.nTrueInt).astype(np.float64)
    assert weight.name == "pileup" and weight.varied
    for got, kind in ((weight.nominal, "nominal"), (weight.up, "up"), (weight.down, "down")):
        np.testing.assert_allclose(got, direct.evaluate(true, kind), rtol=1e-12)
    assert not np.allclose(weight.up, weight.nominal)  # the variations are really there


def test_pileup_weights_refuse_data(nanoaod):
    path = pog("LUM", "puWeights.json.gz")
    with (
        events_of(nanoaod("nano_dimuon.root")) as events,
        pytest.raises(CorrectionError, match="pileup weights are for simulation"),
    ):
        pileup_weight(events, path, "Collisions16_UltraLegacy_goldenJSON")


# ----------------------------------------------------------------------- Run 2: applied in the file


def test_run2_files_keep_their_energies_and_say_which_variations_they_lack(nanoaod):
    with events_of(nanoaod("nano_dy.root")) as events:
        for collection in ("Electron", "Photon"):
            corrected = egamma_energy(events, collection)
            assert flat(corrected.nominal.pt).tolist() == flat(events[collection].pt).tolist()
            assert [v.name for v in corrected.variations] == [
                f"{collection}_scale",
                f"{collection}_smear",
            ]
            for variation in corrected.variations:
                assert variation.up is None and variation.down is None
                assert f"{collection}_dE" in variation.note and "not in this file" in variation.note
        with pytest.raises(CorrectionError, match=r"already applied .* would correct twice"):
            egamma_energy(events, payload="electronSS.json.gz", smear_key="Smearing")


def write_nanoaod(
    path: Path,
    *,
    events: int,
    simulation: bool,
    run3: bool,
    shifts: bool = False,
    pt: float | None = None,
    seed: int = 1,
) -> Path:
    """A small NanoAOD-like file: event IDs, PV_npvsGood, genWeight for simulation, and
    electrons with what the e/γ corrections read (Run 2: eCorr and maybe stored shifts;
    Run 3: superclusterEta)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 4, events)
    n = int(counts.sum())
    eta = rng.uniform(-2.4, 2.4, n)
    fields = {
        "pt": np.full(n, pt) if pt is not None else rng.uniform(15.0, 150.0, n),
        "eta": eta if pt is None else np.full(n, 0.5),
        "phi": rng.uniform(-np.pi, np.pi, n),
        "mass": np.full(n, 0.000511),
        "r9": rng.uniform(0.7, 1.0, n) if pt is None else np.full(n, 0.97),
        "deltaEtaSC": rng.normal(0.0, 0.005, n),
        "seedGain": rng.choice(np.array([1, 6, 12], dtype=np.uint8), n, p=[0.05, 0.05, 0.9]),
    }
    fields = {
        name: np.asarray(values, np.uint8 if name == "seedGain" else np.float32)
        for name, values in fields.items()
    }
    if run3:
        fields["superclusterEta"] = (fields["eta"] + fields["deltaEtaSC"]).astype(np.float32)
    else:
        fields["eCorr"] = np.ones(n, np.float32)
    if shifts:
        energy = fields["pt"] * np.cosh(fields["eta"])
        for name, fraction in (
            ("dEscaleUp", -0.01),
            ("dEscaleDown", 0.01),
            ("dEsigmaUp", 0.02),
            ("dEsigmaDown", -0.005),
        ):
            fields[name] = (fraction * energy).astype(np.float32)  # dE = E_nominal - E_varied
    tree = {
        "run": np.full(events, 1 if simulation else 356000, np.uint32),
        "luminosityBlock": (np.arange(events) // 50 + 1).astype(np.uint32),
        "event": np.arange(events, dtype=np.uint64) + 1000,
        "PV_npvsGood": np.ones(events, np.int32),
        "Electron": ak.unflatten(ak.zip(fields), counts),
    }
    if simulation:
        tree["genWeight"] = np.ones(events, np.float32)
    with uproot.recreate(path) as file:
        file["Events"] = tree
    return path


def test_stored_shifts_vary_the_energy_as_cmssw_defines_them(tmp_path):
    path = write_nanoaod(
        tmp_path / "run2.root", events=30, simulation=True, run3=False, shifts=True
    )
    with events_of(path) as events:
        corrected = variations_from_branches(events, "Electron")
        pt, mass = flat(events.Electron.pt), flat(events.Electron.mass)
        scale, smear = corrected.variations
        assert (scale.name, smear.name) == ("Electron_scale", "Electron_smear")
        # dEscaleUp = E_nominal - E_up = -1% of E: the up variation is 1% higher
        np.testing.assert_allclose(flat(scale.up.pt), 1.01 * pt, rtol=1e-6)
        np.testing.assert_allclose(flat(scale.down.pt), 0.99 * pt, rtol=1e-6)
        np.testing.assert_allclose(flat(scale.up.mass), 1.01 * mass, rtol=1e-6)
        np.testing.assert_allclose(flat(smear.up.pt), 0.98 * pt, rtol=1e-6)
        np.testing.assert_allclose(flat(smear.down.pt), 1.005 * pt, rtol=1e-6)
        assert flat(corrected.nominal.pt).tolist() == pt.tolist()


# ------------------------------------------------------------------------------ Run 3: EGM payloads


FAMILIES = {
    # family: (payload writer, scale key, smear key)
    "et-dependent": (
        et_dependent_payload,
        "EGMScale_Compound_Ele_2022preEE",
        "EGMSmearAndSyst_ElePTsplit_2022preEE",
    ),
    "et-dependent-2024": (
        lambda path: et_dependent_payload(path, "2024", abs_eta=False),
        "EGMScale_Compound_Ele_2024",
        "EGMSmearAndSyst_ElePTsplit_2024",
    ),
    "standard": (standard_payload, "Scale", "Smearing"),
}


def direct_scale(cset, family: str, key: str, kind: str, run, sc_eta, r9, pt, gain) -> np.ndarray:
    """The scale (or its uncertainty) evaluated as EGM's examples do, argument by argument."""
    if family == "standard":
        return cset[key].evaluate(kind, gain.astype(np.int64), run, sc_eta, r9, pt)
    if family == "et-dependent":
        return cset.compound[key].evaluate(kind, run, sc_eta, r9, np.abs(sc_eta), pt, gain)
    return cset.compound[key].evaluate(kind, run, sc_eta, r9, pt, gain)


def direct_smear(cset, family: str, key: str, kind: str, sc_eta, r9, pt) -> np.ndarray:
    if family == "standard":
        return cset[key].evaluate(kind, sc_eta, r9)
    return cset[key].evaluate(kind, pt, r9, np.abs(sc_eta) if family == "et-dependent" else sc_eta)


@pytest.mark.parametrize("family", FAMILIES)
def test_data_is_scaled_as_the_payload_says(tmp_path, family):
    write, scale_key, smear_key = FAMILIES[family]
    payload = write(tmp_path / "electronSS.json.gz")
    cset = correctionlib.CorrectionSet.from_file(str(payload))
    path = write_nanoaod(tmp_path / "data.root", events=60, simulation=False, run3=True)
    with events_of(path) as events:
        electrons = scale_data(events, payload, scale_key)
        whole = egamma_energy(events, payload=payload, scale_key=scale_key, smear_key=smear_key)
        e = events.Electron
        run = np.repeat(ak.to_numpy(events.run), ak.to_numpy(ak.num(e))).astype(np.float64)
        pt, sc_eta, r9, gain = flat(e.pt), flat(e.superclusterEta), flat(e.r9), flat(e.seedGain)
    expected = pt * direct_scale(
        cset,
        family,
        scale_key,
        "total_correction" if family == "standard" else "scale",
        run,
        sc_eta,
        r9,
        pt,
        gain,
    )
    np.testing.assert_allclose(flat(electrons.pt), expected, rtol=1e-6)
    assert not np.allclose(flat(electrons.pt), pt)
    np.testing.assert_allclose(flat(whole.nominal.pt), expected, rtol=1e-6)
    assert whole.variations == ()  # data is never varied


@pytest.mark.parametrize("family", FAMILIES)
def test_simulation_is_smeared_with_the_objects_own_numbers(nanoaod, tmp_path, family):
    write, scale_key, smear_key = FAMILIES[family]
    payload = write(tmp_path / "electronSS.json.gz")
    cset = correctionlib.CorrectionSet.from_file(str(payload))
    with events_of(nanoaod("nano_tt_v15.root")) as events:  # real Run 3 simulation
        corrected = smear_mc(events, payload, smear_key, scale_key=scale_key)
        e = events.Electron
        z = flat(object_gaussian(events, e, "egamma"))
        run = np.repeat(ak.to_numpy(events.run), ak.to_numpy(ak.num(e))).astype(np.float64)
        pt, sc_eta, r9, gain = flat(e.pt), flat(e.superclusterEta), flat(e.r9), flat(e.seedGain)
    smear_names = ("rho", "err_rho") if family == "standard" else ("smear", "esmear")
    width, error = (
        direct_smear(cset, family, smear_key, kind, sc_eta, r9, pt) for kind in smear_names
    )
    if family == "standard":
        scale_error = direct_scale(
            cset, family, scale_key, "total_uncertainty", run, sc_eta, r9, pt, gain
        )
    else:
        scale_error = direct_smear(cset, family, smear_key, "escale", sc_eta, r9, pt)
    smeared = pt * (1 + width * z)
    np.testing.assert_allclose(flat(corrected.nominal.pt), smeared, rtol=1e-6)
    smear, scale = corrected.variations
    assert (smear.name, scale.name) == ("Electron_smear", "Electron_scale")
    np.testing.assert_allclose(flat(smear.up.pt), pt * (1 + (width + error) * z), rtol=1e-6)
    np.testing.assert_allclose(flat(smear.down.pt), pt * (1 + (width - error) * z), rtol=1e-6)
    np.testing.assert_allclose(flat(scale.up.pt), smeared * (1 + scale_error), rtol=1e-6)
    np.testing.assert_allclose(flat(scale.down.pt), smeared * (1 - scale_error), rtol=1e-6)


def test_photons_draw_their_own_numbers(nanoaod, tmp_path):
    payload = et_dependent_payload(tmp_path / "photonSS.json.gz", particle="Pho")
    key = "EGMSmearAndSyst_PhoPTsplit_2022preEE"
    width = correctionlib.CorrectionSet.from_file(str(payload))[key]
    with events_of(nanoaod("nano_tt_v15.root")) as events:
        corrected = smear_mc(events, payload, key, collection="Photon")
        photons = events.Photon
        z = flat(object_gaussian(events, photons, "egamma-photon"))
        electron_z = flat(object_gaussian(events, photons, "egamma"))
        pt, sc_eta, r9 = flat(photons.pt), flat(photons.superclusterEta), flat(photons.r9)
    sigma = width.evaluate("smear", pt, r9, np.abs(sc_eta))
    np.testing.assert_allclose(flat(corrected.nominal.pt), pt * (1 + sigma * z), rtol=1e-6)
    assert not np.allclose(flat(corrected.nominal.pt), pt * (1 + sigma * electron_z))
    assert [v.name for v in corrected.variations] == ["Photon_smear", "Photon_scale"]


def test_smearing_widths_on_a_generated_sample(tmp_path):
    payload = et_dependent_payload(tmp_path / "electronSS.json.gz")
    # barrel, r9 0.97, pt 50: width 0.02, its uncertainty 0.004, scale uncertainty 0.006
    path = write_nanoaod(tmp_path / "mc.root", events=12000, simulation=True, run3=True, pt=50.0)
    with events_of(path) as events:
        corrected = smear_mc(events, payload, "EGMSmearAndSyst_ElePTsplit_2022preEE")
    smear, scale = corrected.variations
    nominal = flat(corrected.nominal.pt) / 50.0
    assert nominal.size > 15000
    assert abs(nominal.mean() - 1) < 0.001 and abs(nominal.std() / 0.02 - 1) < 0.03
    assert abs((flat(smear.up.pt) / 50.0).std() / 0.024 - 1) < 0.03
    assert abs((flat(smear.down.pt) / 50.0).std() / 0.016 - 1) < 0.03
    np.testing.assert_allclose(flat(scale.up.pt) / flat(corrected.nominal.pt), 1.006, rtol=1e-9)


def smeared_in_chunks(path: Path, size: int, stop: int, payload: Path) -> np.ndarray:
    with open_file(str(path)) as file:
        info = describe(file, str(path))
        parts = []
        for start in range(0, stop, size):
            events = events_from(file, info, entry_start=start, entry_stop=min(start + size, stop))
            parts.append(
                flat(smear_mc(events, payload, "EGMSmearAndSyst_ElePTsplit_2022preEE").nominal.pt)
            )
    return np.concatenate(parts)


def test_smearing_is_the_same_whatever_the_chunking(nanoaod, tmp_path):
    payload = et_dependent_payload(tmp_path / "electronSS.json.gz")
    generated = write_nanoaod(tmp_path / "mc.root", events=120, simulation=True, run3=True)
    whole = smeared_in_chunks(generated, 120, 120, payload)
    for size in (1, 7):
        np.testing.assert_array_equal(smeared_in_chunks(generated, size, 120, payload), whole)
    real = nanoaod("nano_tt_v15.root")  # 0.3 s to make events of a real chunk: 70 events
    np.testing.assert_array_equal(
        smeared_in_chunks(real, 7, 70, payload), smeared_in_chunks(real, 70, 70, payload)
    )


def test_data_and_simulation_get_only_their_own_corrections(nanoaod, tmp_path):
    payload = et_dependent_payload(tmp_path / "electronSS.json.gz")
    data = write_nanoaod(tmp_path / "data.root", events=10, simulation=False, run3=True)
    with (
        events_of(data) as events,
        pytest.raises(
            CorrectionError, match="smearing is for simulation, and these events are data"
        ),
    ):
        smear_mc(events, payload, "EGMSmearAndSyst_ElePTsplit_2022preEE")
    with events_of(nanoaod("nano_tt_v15.root"), stop=20) as events:
        with pytest.raises(
            CorrectionError, match="energy scale is for data, and these events are simulated"
        ):
            scale_data(events, payload, "EGMScale_Compound_Ele_2022preEE")
        with pytest.raises(CorrectionError, match="no e/γ scale and smearing applied"):
            egamma_energy(events)
    with events_of(nanoaod("nano_dimuon.root")) as events:  # Run 2 data, corrections in the file
        with pytest.raises(CorrectionError, match="is for simulation, and these events are data"):
            smear_mc(events, payload, "EGMSmearAndSyst_ElePTsplit_2022preEE")
        assert egamma_energy(events).variations == ()
    with (
        events_of(nanoaod("nano_dy.root")) as events,  # Run 2 simulation
        pytest.raises(CorrectionError, match="is for data, and these events are simulated"),
    ):
        scale_data(events, payload, "EGMScale_Compound_Ele_2022preEE")


def test_payloads_of_another_shape_are_refused_clearly(tmp_path, nanoaod):
    payload = standard_payload(tmp_path / "electronSS.json.gz")
    muons = muon_payload_with_three_inputs(tmp_path)
    with events_of(nanoaod("nano_tt_v15.root"), stop=20) as events:
        # the standard payloads keep the simulation's scale uncertainty in "Scale"
        corrected = smear_mc(events, payload, "Smearing")
        assert (
            corrected.variations[1].up is None and "give scale_key" in corrected.variations[1].note
        )
        with pytest.raises(CorrectionError, match="not an EGM scale or smearing correction"):
            smear_mc(events, muons, "NUM_TightID_DEN_TrackerMuons")
