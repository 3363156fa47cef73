"""Jet energy corrections, JES/JER variations and type-1 MET, each checked independently.

References are computed here from the payloads with correctionlib itself (the compound
JEC chained level by level, in a plain loop), from the branches read with uproot, and with
coffea's own cross-references; MET against what CMSSW stored in the files.
"""

from __future__ import annotations

import gc
import itertools
import tracemalloc

import awkward as ak
import correctionlib
import correctionlib.schemav2 as cs
import numpy as np
import pytest
import uproot

from opencoffea.corrections.jer import MIN_JET_ENERGY
from opencoffea.corrections.jets import JetCorrections, correct_jets, jet_variations, with_jets
from opencoffea.corrections.met import met_names, type1_met, with_met
from opencoffea.corrections.seeds import object_gaussian
from opencoffea.eras import load_manifest
from opencoffea.errors import CorrectionError
from opencoffea.events import describe, events_from, open_file
from opencoffea.jetkeys import COMPOUND, LEVELS
from opencoffea.samples import generate

from .conftest import real_file

UL16 = "Summer19UL16_V7"
MC_2016 = f"{UL16}_MC_L1L2L3Res_AK4PFchs"
DATA_2016 = f"{UL16.replace('_V7', '_RunFGH_V7')}_DATA_L1L2L3Res_AK4PFchs"
# Run2016 after the HIPM fix (postVFP): the end of F, G and H (CMS open data records,
# golden JSON Cert_271036-284044); all three take the RunFGH corrections.
PERIODS_2016_POST_VFP = (
    (278769, 278808, DATA_2016),
    (278820, 280385, DATA_2016),
    (281613, 284044, DATA_2016),
)
S22 = "Summer22_22Sep2023_V3"
S22_JER = "Summer22_22Sep2023_JRV1"


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def ul16():
    path = real_file("corrections", "jsonpog-integration", "POG", "JME", "2016postVFP_UL")
    return JetCorrections(
        payload=str(path / "jet_jerc.json.gz"),
        mc_jec=MC_2016,
        data_jec=PERIODS_2016_POST_VFP,
        uncertainty=f"{UL16}_MC_{{source}}_AK4PFchs",
        jer_resolution="Summer20UL16_JRV3_MC_PtResolution_AK4PFchs",
        jer_scale_factor="Summer20UL16_JRV3_MC_ScaleFactor_AK4PFchs",
    )


@pytest.fixture(scope="module")
def summer22():
    return JetCorrections(
        payload=str(real_file("corrections", "jet_jerc_Summer22_V3.json.gz")),
        mc_jec=f"{S22}_MC_L1L2L3Res_AK4PFPuppi",
        uncertainty=f"{S22}_MC_{{source}}_AK4PFPuppi",
        jer_resolution=f"{S22_JER}_MC_PtResolution_AK4PFPuppi",
        jer_scale_factor=f"{S22_JER}_MC_ScaleFactor_AK4PFPuppi",
    )


@pytest.fixture(scope="module")
def files():
    """``open_events(path, start, stop)``: lazy NanoEvents; the files stay open meanwhile."""
    opened = {}

    def open_events(path, start=0, stop=None, access_log=None):
        if path not in opened:
            file = open_file(str(path))
            opened[path] = file, describe(file, str(path))
        file, info = opened[path]
        return events_from(file, info, entry_start=start, entry_stop=stop, access_log=access_log)

    yield open_events
    for file, _ in opened.values():
        file.close()


@pytest.fixture(scope="module")
def ttbar(tmp_path_factory):
    """A generated tt̄ sample large enough for the JER width (about 150k jets)."""
    path = tmp_path_factory.mktemp("jets") / "ttbar.root"
    return generate("ttbar", path, 30_000, seed=11, compression="zstd")


@pytest.fixture(scope="module")
def data_2016(tmp_path_factory):
    """Generated 2016 data: 17,500 events of run 282712, then run 283408."""
    path = tmp_path_factory.mktemp("jets") / "data.root"
    return generate("ttbar", path, 18_000, seed=5, kind="data", compression="zstd")


def without_jer(jme):
    return JetCorrections(
        payload=jme.payload, mc_jec=jme.mc_jec, data_jec=jme.data_jec, uncertainty=jme.uncertainty
    )


def in_file_order(jets, field):
    """A field of (sorted) corrected jets back in the file's order, as lists per event."""
    return ak.to_list(jets[ak.argsort(jets.stored_index, axis=1)][field])


def flat(array):
    return np.asarray(ak.to_numpy(ak.flatten(array, axis=None)), dtype=np.float64)


# ------------------------------------------------------------------------------ JEC


def chained_jec(cset, compound_key, area, eta, raw_pt, rho):
    """L1 → L2 → L3 → L2L3Res by hand: each level at the pt the levels before made."""
    pt = raw_pt
    for level in LEVELS:
        corr = cset[compound_key.replace(COMPOUND, level)]
        args = {"JetA": area, "JetEta": eta, "JetPt": pt, "Rho": rho}
        pt = pt * corr.evaluate(*[args[i.name] for i in corr.inputs])
    return pt / raw_pt


@pytest.mark.parametrize(
    ("name", "corrections", "rho_branch"),
    [
        ("nano_dy.root", "ul16", "fixedGridRhoFastjetAll"),
        ("nano_tt_v15.root", "summer22", "Rho_fixedGridRhoFastjetAll"),
    ],
)
def test_jec_is_the_chain_of_levels_on_raw_jets(
    nanoaod, files, request, name, corrections, rho_branch
):
    jme = without_jer(request.getfixturevalue(corrections))
    path = nanoaod(name)
    jets = correct_jets(files(path), jme, is_data=False)["nominal"]

    branches = ["Jet_pt", "Jet_mass", "Jet_eta", "Jet_area", "Jet_rawFactor", rho_branch]
    stored = uproot.open(path)["Events"].arrays(branches)
    cset = correctionlib.CorrectionSet.from_file(jme.payload)
    expected_pt, expected_mass = [], []
    for event in ak.to_list(stored):
        pts, masses = [], []
        for pt, mass, eta, area, raw_factor in zip(*(event[b] for b in branches[:5]), strict=True):
            raw_pt = pt * (1 - raw_factor)
            factor = chained_jec(cset, jme.mc_jec, area, eta, raw_pt, event[rho_branch])
            pts.append(raw_pt * factor)
            masses.append(mass * (1 - raw_factor) * factor)
        expected_pt.append(pts)
        expected_mass.append(masses)

    assert np.allclose(flat(in_file_order(jets, "pt_jec")), flat(expected_pt), rtol=1e-12)
    # no JER configured: the nominal is the JEC jet, mass scaled with pt
    assert np.allclose(flat(in_file_order(jets, "pt")), flat(expected_pt), rtol=1e-12)
    assert np.allclose(flat(in_file_order(jets, "mass")), flat(expected_mass), rtol=1e-12)
    raw = flat(stored.Jet_pt) * (1 - flat(stored.Jet_rawFactor))
    assert np.allclose(flat(in_file_order(jets, "pt_raw")), raw, rtol=1e-12)
    # sorted by corrected pt, descending, in every event
    assert ak.all(jets.pt[:, :-1] >= jets.pt[:, 1:])


def test_jes_variations_scale_the_nominal_by_the_uncertainty(nanoaod, files, summer22):
    names = jet_variations(["Total", "SubTotalPileUp"], jer=False)
    jets = correct_jets(
        files(nanoaod("nano_tt_v15.root")), summer22, is_data=False, variations=names
    )
    cset = correctionlib.CorrectionSet.from_file(summer22.payload)
    nominal_pt = flat(in_file_order(jets["nominal"], "pt"))
    nominal_mass = flat(in_file_order(jets["nominal"], "mass"))
    eta = flat(in_file_order(jets["nominal"], "eta"))
    for source in ("Total", "SubTotalPileUp"):
        delta = cset[f"{S22}_MC_{source}_AK4PFPuppi"].evaluate(eta, nominal_pt)
        assert delta.min() > 0
        for direction, sign in (("Up", 1), ("Down", -1)):
            varied = jets[f"jes{source}{direction}"]
            assert np.allclose(
                flat(in_file_order(varied, "pt")), nominal_pt * (1 + sign * delta), rtol=1e-12
            )
            assert np.allclose(
                flat(in_file_order(varied, "mass")), nominal_mass * (1 + sign * delta), rtol=1e-12
            )
            assert ak.all(varied.pt[:, :-1] >= varied.pt[:, 1:])


# ------------------------------------------------------------------------------ JER


@pytest.mark.parametrize(("source", "sizes"), [("generated", (1, 7)), ("nano_dy.root", (7,))])
def test_jer_same_jets_whatever_the_chunking(source, sizes, nanoaod, files, ul16, tmp_path_factory):
    """Chunks of 1, 7 and the whole file give identical jets and MET, every variation."""
    if source == "generated":
        path = tmp_path_factory.mktemp("jets") / "small.root"
        generate("ttbar", path, 42, seed=3, compression="zstd")
    else:
        path = nanoaod(source)
    names = jet_variations(["Total"])

    def run(start, stop):
        events = files(path, start, stop)
        jets = correct_jets(events, ul16, is_data=False, variations=names)
        met = type1_met(events, jets, ul16, is_data=False, unclustered=True)
        return [ak.to_list(jets[name][field]) for name in names for field in ("pt", "mass")] + [
            ak.to_list(m.pt) for m in met.values()
        ]

    whole = run(0, None)
    total = len(whole[0])
    for size in sizes:
        parts = [run(start, min(start + size, total)) for start in range(0, total, size)]
        joined = [list(itertools.chain(*columns)) for columns in zip(*parts, strict=True)]
        assert joined == whole


def jer_reference(events, jets, jme, systematic):
    """Resolution, SF, gen-matched flag and GenJet pt of each corrected jet, independently.

    The gen jet comes through coffea's own cross-reference (``matched_gen``).
    """
    cset = correctionlib.CorrectionSet.from_file(jme.payload)
    rho = flat(ak.broadcast_arrays(events.fixedGridRhoFastjetAll, jets.pt)[0])
    eta, pt_jec = flat(jets.eta), flat(jets.pt_jec)
    sigma = cset[jme.jer_resolution].evaluate(eta, pt_jec, rho)
    sf = cset[jme.jer_scale_factor]
    args = {"JetEta": eta, "JetPt": pt_jec, "systematic": systematic}
    sf = sf.evaluate(*[args[i.name] for i in sf.inputs])
    gen = jets.matched_gen
    has_gen = flat(ak.fill_none(ak.is_none(gen, axis=1), True)) == 0
    gen_pt = flat(ak.fill_none(gen.pt, -1.0))
    delta_r = flat(ak.fill_none(jets.delta_r(gen), 99.0))
    matched = has_gen & (delta_r < 0.2) & (np.abs(pt_jec - gen_pt) < 3 * sigma * pt_jec)
    return sigma, sf, matched, gen_pt


@pytest.mark.parametrize(("variation", "systematic"), [("nominal", "nom"), ("jerUp", "up")])
def test_jer_gen_matched_jets_follow_the_scaling(ttbar, files, ul16, variation, systematic):
    events = files(ttbar, 0, 5_000)
    jets = correct_jets(events, ul16, is_data=False, variations=[variation])[variation]
    _, sf, matched, gen_pt = jer_reference(events, jets, ul16, systematic)
    pt_jec, pt = flat(jets.pt_jec), flat(jets.pt)
    assert matched.sum() > 10_000
    expected = pt_jec * (1 + (sf - 1) * (pt_jec - gen_pt) / pt_jec)
    assert np.allclose(pt[matched], expected[matched], rtol=1e-12)
    assert np.allclose(
        flat(jets.mass)[matched] / flat(jets.pt)[matched],
        (flat(jets.mass_raw) / flat(jets.pt_raw))[matched],
        rtol=1e-9,
    )


def test_jer_unmatched_jets_are_smeared_by_sqrt_sf2_minus_1_sigma(ttbar, files, ul16):
    events = files(ttbar)
    jets = correct_jets(events, ul16, is_data=False)["nominal"]
    sigma, sf, matched, _ = jer_reference(events, jets, ul16, "nom")
    pt_jec, pt = flat(jets.pt_jec), flat(jets.pt)
    # the normal number of each jet, drawn for its place in the file
    normal = flat(object_gaussian(events, events.Jet, "jer")[jets.stored_index])
    width = sigma * np.sqrt(np.maximum(sf**2 - 1, 0))
    energy = np.hypot(
        pt_jec * np.cosh(flat(jets.eta)), flat(jets.mass_raw) / flat(jets.pt_raw) * pt_jec
    )
    expected = pt_jec * np.maximum(1 + normal * width, MIN_JET_ENERGY / energy)
    unmatched = ~matched
    assert unmatched.sum() > 10_000
    assert np.allclose(pt[unmatched], expected[unmatched], rtol=1e-12)
    # and on the sample, the relative smearing has the width √(SF²−1)·σ
    pull = (pt / pt_jec - 1)[unmatched & (width > 0)] / width[unmatched & (width > 0)]
    assert abs(pull.mean()) < 0.03 and abs(pull.std() - 1) < 0.03
    assert np.all(pt > 0)  # a smeared jet never flips: the energy floor


# ------------------------------------------------------------------------------ data


def test_data_takes_the_key_of_its_run_and_no_jer(data_2016, files, ul16):
    # a table that sends run 283408 elsewhere (the MC key as a stand-in), to see the choice
    split = JetCorrections(
        payload=ul16.payload,
        mc_jec=ul16.mc_jec,
        data_jec=[(278769, 283000, DATA_2016), (283001, 284044, MC_2016)],
        jer_resolution=ul16.jer_resolution,
        jer_scale_factor=ul16.jer_scale_factor,
    )
    events = files(data_2016)
    corrected = correct_jets(events, split, is_data=True)
    jets = corrected["nominal"]
    run = flat(ak.broadcast_arrays(events.run, jets.pt)[0])
    assert set(np.unique(run)) == {282712, 283408}
    cset = correctionlib.CorrectionSet.from_file(ul16.payload)
    args = [flat(jets.area), flat(jets.eta), flat(jets.pt_raw)]
    rho = flat(ak.broadcast_arrays(events.fixedGridRhoFastjetAll, jets.pt)[0])
    data_jec = cset.compound[DATA_2016].evaluate(*args, rho)
    mc_jec = cset.compound[MC_2016].evaluate(*args, rho)
    expected = flat(jets.pt_raw) * np.where(run == 282712, data_jec, mc_jec)
    assert np.allclose(flat(jets.pt_jec), expected, rtol=1e-12)
    assert np.array_equal(flat(jets.pt), flat(jets.pt_jec))  # data: no smearing
    assert not np.allclose(data_jec, mc_jec)

    with pytest.raises(CorrectionError, match="data jets have no variation 'jerUp'"):
        correct_jets(events, ul16, is_data=True, variations=["nominal", "jerUp"])

    # type-1 MET of data: the low-pt jets take their run's key too
    met = type1_met(events, corrected, split, is_data=True)["nominal"]
    assert np.all(np.isfinite(flat(met.pt))) and not np.allclose(flat(met.pt), flat(events.MET.pt))
    with pytest.raises(CorrectionError, match="data has no unclustered"):
        type1_met(events, corrected, split, is_data=True, unclustered=True)


def test_data_run_outside_the_periods_is_an_error(nanoaod, files, ul16):
    events = files(nanoaod("nano_dimuon.root"))  # 2018 data, not in the 2016 table
    with pytest.raises(CorrectionError, match=r"run\(s\) \[31\d{4}.*no data period"):
        correct_jets(events, ul16, is_data=True)


def test_corrections_value_is_checked():
    with pytest.raises(CorrectionError, match="overlap"):
        JetCorrections(payload="x.json", mc_jec=MC_2016, data_jec=[(1, 10, "a"), (10, 20, "b")])
    with pytest.raises(CorrectionError, match="source"):
        JetCorrections(
            payload="x.json", mc_jec=MC_2016, uncertainty="Summer19UL16_V7_MC_Total_AK4PFchs"
        )
    with pytest.raises(CorrectionError, match="mc_jec: Field required"):
        JetCorrections(payload="x.json")
    jme = JetCorrections(payload="x.json", mc_jec=MC_2016, data_jec=PERIODS_2016_POST_VFP)
    assert jme.jec_key(is_data=True, run=279000, level="L1FastJet") == DATA_2016.replace(
        "L1L2L3Res", "L1FastJet"
    )
    same = JetCorrections(payload="x.json", mc_jec=MC_2016, data_jec=PERIODS_2016_POST_VFP[::-1])
    assert hash(jme) == hash(same) and jme == same  # the periods are kept in run order


# ------------------------------------------------------------------------------ memory


def regrouped_sources():
    """The 11 JES sources of 2016 (JME's regrouped set; the era's other one is Total)."""
    sources = [s for s in load_manifest().era("2016postVFP_UL").jets.sources if s != "Total"]
    assert len(sources) == 11
    return sources


def held_bytes(make):
    """What the result of ``make()`` keeps allocated (traced by Python and numpy)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = make()
        gc.collect()
        return kept, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_variations_are_made_when_asked_for_from_what_they_share(ttbar, files, ul16):
    """24 variations keep one number per jet per JES source (its δ, shared by up and down)
    beside what all share; each variation's jets are made on access, the same each time."""
    events = files(ttbar, 0, 5_000)
    sources = regrouped_sources()
    names = jet_variations(sources)
    correct_jets(events, ul16, is_data=False, variations=names)  # payload and branches read
    jer_only, jer_bytes = held_bytes(
        lambda: correct_jets(events, ul16, is_data=False, variations=jet_variations([]))
    )
    every, every_bytes = held_bytes(
        lambda: correct_jets(events, ul16, is_data=False, variations=names)
    )
    jets = int(ak.sum(ak.num(events.Jet)))
    per_jet = 8  # one float64
    assert list(every) == list(names) and len(every) == 25
    assert jer_bytes < 12 * per_jet * jets  # pt and mass raw and JEC, L1, index, 3 JER factors
    # one δ per source, not the pt, mass and sort of 22 variations
    assert every_bytes - jer_bytes < 1.1 * len(sources) * per_jet * jets
    # made anew at each access, and the same numbers: the same jets every time
    up = every["jesRegrouped_FlavorQCDUp"]
    assert up is not every["jesRegrouped_FlavorQCDUp"]
    assert ak.to_list(up) == ak.to_list(every["jesRegrouped_FlavorQCDUp"])
    assert ak.to_list(jer_only["jerUp"]) == ak.to_list(every["jerUp"])
    # the flat pt type-1 MET sums is that of the jets, in the file's order
    assert np.array_equal(every.flat_pt("jesRegrouped_FlavorQCDUp"), flat(in_file_order(up, "pt")))
    with pytest.raises(KeyError):
        every["jesTotalUp"]  # not asked for


def test_type1_met_holds_one_variation_of_jets_at_a_time(ttbar, files, ul16):
    """The MET of 24 variations is computed without keeping the jets of any."""
    events = files(ttbar, 0, 5_000)
    names = jet_variations(regrouped_sources())
    jets = correct_jets(events, ul16, is_data=False, variations=names)
    type1_met(events, jets, ul16, is_data=False, unclustered=True)  # branches read
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        met = type1_met(events, jets, ul16, is_data=False, unclustered=True)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(met) == 27
    every_jet = int(ak.sum(ak.num(events.Jet))) + int(ak.sum(ak.num(events.CorrT1METJet)))
    # fewer float64 than one per jet and variation: the low-pt jets' shared numbers and
    # δs, a few numbers per jet while summing, and each variation's MET (pt, phi)
    assert peak < 8 * 24 * every_jet


# ------------------------------------------------------------------------------ cross-references


@pytest.mark.parametrize("source", ["ttbar", "nano_tt_v15.root"])
def test_cross_references_find_the_corrected_jet_after_resorting(
    source, request, nanoaod, files, ul16, summer22
):
    path = request.getfixturevalue("ttbar") if source == "ttbar" else nanoaod(source)
    jme = ul16 if source == "ttbar" else summer22
    events = files(path, 0, 3_000 if source == "ttbar" else None)
    jets = correct_jets(events, jme, is_data=False, variations=jet_variations(["Total"]))
    before = events.Muon.matched_jet
    for varied in jets.values():
        corrected = with_jets(events, varied)
        assert ak.all(corrected.Jet.pt[:, :-1] >= corrected.Jet.pt[:, 1:])
        for leptons in ("Muon", "Electron"):
            old, new = events[leptons].matched_jet, corrected[leptons].matched_jet
            linked = flat(events[leptons].jetIdx) >= 0
            assert linked.sum() > (100 if source == "ttbar" else 5)
            # the same physical jet: its place in the file and its direction
            assert np.array_equal(
                flat(ak.fill_none(new.stored_index, -1)), flat(events[leptons].jetIdx)
            )
            assert np.array_equal(flat(ak.fill_none(new.eta, 0)), flat(ak.fill_none(old.eta, 0)))
            # with the corrected pt of this variation: the jet at that file position
            stored_pt = ak.Array(in_file_order(varied, "pt"))
            index = ak.mask(events[leptons].jetIdx, events[leptons].jetIdx >= 0)
            assert np.array_equal(
                flat(ak.fill_none(new.pt, -1)), flat(ak.fill_none(stored_pt[index], -1))
            )
        # jet → gen jet is carried by each jet: after sorting it still lands right
        gen = corrected.Jet.matched_gen
        gen_index = ak.mask(corrected.Jet.genJetIdx, corrected.Jet.genJetIdx >= 0)
        assert ak.all(ak.fill_none(gen.pt == events.GenJet.pt[gen_index], True))
    # cross-references survive a selection made afterwards
    nominal = with_jets(events, jets["nominal"])
    chosen = nominal[ak.num(nominal.Muon) > 0][::3]
    assert ak.all(ak.fill_none(chosen.Muon.matched_jet.stored_index == chosen.Muon.jetIdx, True))
    assert not ak.all(ak.fill_none(before.pt == nominal.Muon.matched_jet.pt, True))
    with pytest.raises(CorrectionError, match="before selecting events"):
        with_jets(events[:10], jets["nominal"][:10])


# ------------------------------------------------------------------------------ type-1 MET


def identity_payload(path):
    """A JEC payload in which every level is exactly 1 (no JER keys)."""
    inputs = [
        cs.Variable(name="JetA", type="real"),
        cs.Variable(name="JetEta", type="real"),
        cs.Variable(name="JetPt", type="real"),
        cs.Variable(name="Rho", type="real"),
    ]
    output = cs.Variable(name="correction", type="real")
    levels = [f"Identity_MC_{level}_AK4PFchs" for level in ("L1FastJet", "L2Relative")]
    payload = cs.CorrectionSet(
        schema_version=2,
        corrections=[
            cs.Correction(name=name, version=1, inputs=inputs, output=output, data=1.0)
            for name in levels
        ],
        compound_corrections=[
            cs.CompoundCorrection(
                name="Identity_MC_L1L2L3Res_AK4PFchs",
                inputs=inputs,
                output=output,
                inputs_update=["JetPt"],
                input_op="*",
                output_op="*",
                stack=levels,
            )
        ],
    )
    path.write_text(payload.model_dump_json(exclude_unset=True))
    return JetCorrections(payload=str(path), mc_jec="Identity_MC_L1L2L3Res_AK4PFchs")


def with_own_corrections(collection):
    """Jets as correct_jets gives them, but with the corrections the file was made with."""
    if "rawFactor" in collection.fields:
        raw = collection.pt * (1 - collection.rawFactor)
        pt = collection.pt
    else:  # CorrT1METJet: the file's correction is not stored; below threshold anyway
        raw = pt = collection.rawPt
    fields = {"pt_raw": raw, "pt_jec": pt, "pt": pt}
    fields["stored_index"] = ak.local_index(collection, axis=1)
    for name, values in fields.items():
        collection = ak.with_field(collection, values, name)
    return collection


def vector_sum(pt, phi):
    phi = ak.values_astype(phi, np.float64)
    return flat(ak.sum(pt * np.cos(phi), axis=1)), flat(ak.sum(pt * np.sin(phi), axis=1))


def test_met_unchanged_when_no_jet_changes(ttbar, files, tmp_path):
    events = files(ttbar, 0, 5_000)
    identity = identity_payload(tmp_path / "identity.json")
    jets = correct_jets(events, identity, is_data=False)
    assert np.array_equal(flat(jets["nominal"].pt), flat(jets["nominal"].pt_raw))
    met = type1_met(events, jets, identity, is_data=False)["nominal"]
    assert np.allclose(flat(met.pt), flat(events.RawMET.pt), rtol=1e-6)
    assert np.allclose(flat(met.phi), flat(events.RawMET.phi), atol=1e-5)


def test_met_moves_by_minus_the_shifts_of_the_type1_jets(ttbar, files, tmp_path):
    events = files(ttbar, 0, 5_000)
    identity = identity_payload(tmp_path / "identity.json")
    jets = with_own_corrections(events.Jet)
    low = {"nominal": with_own_corrections(events.CorrT1METJet)}
    met = type1_met(events, {"nominal": jets}, identity, is_data=False, low_pt_jets=low)
    # with the file's own corrections, the MET the generator stored comes back (to the
    # precision RawMET is stored with: 10 mantissa bits for pt and phi)
    miss = np.hypot(flat(met["nominal"].x - events.MET.x), flat(met["nominal"].y - events.MET.y))
    assert np.all(miss < 4e-3 * flat(events.RawMET.pt))

    # now shift every other jet by +7 % (in double precision, as the MET is computed)
    pt = ak.values_astype(jets.pt, np.float64)
    shift = ak.where(ak.local_index(pt, axis=1) % 2 == 0, 0.07 * pt, 0.0)
    shifted = ak.with_field(jets, pt + shift, "pt")
    moved = type1_met(events, {"nominal": shifted}, identity, is_data=False, low_pt_jets=low)
    enters = ((1 - jets.muonSubtrFactor) * jets.pt > 15) & (jets.chEmEF + jets.neEmEF < 0.9)
    assert ak.any(~enters & (shift > 0))  # some shifted jets do not enter: they must not count
    dx, dy = vector_sum(ak.where(enters, shift, 0.0), jets.phi)
    before_x, before_y = met["nominal"].x, met["nominal"].y
    assert np.allclose(flat(moved["nominal"].x), flat(before_x) - dx, atol=1e-9)
    assert np.allclose(flat(moved["nominal"].y), flat(before_y) - dy, atol=1e-9)


def test_met_variations_follow_the_jets_and_unclustered_shift(nanoaod, files, ul16):
    events = files(nanoaod("nano_dy.root"))
    names = jet_variations(["Total"])
    jets = correct_jets(events, ul16, is_data=False, variations=names)
    low = correct_jets(events, ul16, is_data=False, variations=names, collection="CorrT1METJet")
    met = type1_met(events, jets, ul16, is_data=False, unclustered=True)

    def change(collection, name):
        """Σ over the jets that enter type-1 of their pt change from nominal, (x, y)."""
        base = collection["nominal"][ak.argsort(collection["nominal"].stored_index)]
        other = collection[name][ak.argsort(collection[name].stored_index)]
        em = base.chEmEF + base.neEmEF if "chEmEF" in base.fields else 0.0  # none stored: 0
        enters = ((1 - base.muonSubtrFactor) * base.pt_jec > 15) & (em < 0.9)
        return vector_sum(ak.where(enters, other.pt - base.pt, 0.0), base.phi)

    for name in ("jesTotalUp", "jerDown"):
        # the same jets enter; MET moves by minus their pt change, vectorially; the low-pt
        # jets follow JES but are not smeared
        (jx, jy), (lx, ly) = change(jets, name), change(low, name)
        assert (np.abs(lx).max() > 0) == name.startswith("jes")
        assert np.allclose(flat(met[name].x), flat(met["nominal"].x) - jx - lx, atol=1e-9)
        assert np.allclose(flat(met[name].y), flat(met["nominal"].y) - jy - ly, atol=1e-9)
    up_x = flat(met["unclustEnUp"].x) - flat(met["nominal"].x)
    down_y = flat(met["unclustEnDown"].y) - flat(met["nominal"].y)
    assert np.allclose(up_x, flat(events.MET.MetUnclustEnUpDeltaX), atol=1e-9)
    assert np.allclose(down_y, -flat(events.MET.MetUnclustEnUpDeltaY), atol=1e-9)
    assert with_met(events, met["nominal"], ul16).MET.pt.tolist() == met["nominal"].pt.tolist()


def test_puppi_met_of_v15_recomputed_from_raw(nanoaod, files, summer22):
    """The file's own PUPPI corrections (L1 is 1 for PUPPI) give back CMSSW's PuppiMET."""
    events = files(nanoaod("nano_tt_v15.root"))
    assert met_names(events, summer22) == ("PuppiMET", "RawPuppiMET")
    jets = {"nominal": with_own_corrections(events.Jet)}
    low = {"nominal": with_own_corrections(events.CorrT1METJet)}
    met = type1_met(events, jets, summer22, is_data=False, low_pt_jets=low)["nominal"]
    stored = events.PuppiMET
    miss = np.hypot(flat(met.x - stored.x), flat(met.y - stored.y))
    # stored precision (rawFactor has 6-10 mantissa bits) and a jet at 15.0 GeV on the cut
    assert np.mean(miss < 0.3) > 0.98 and np.median(miss) < 0.1

    # unclustered: the stored up/down shifts, applied to the recomputed MET
    jets = correct_jets(events, summer22, is_data=False)
    full = type1_met(events, jets, summer22, is_data=False, unclustered=True)
    for direction in ("Up", "Down"):
        shifted = ak.zip(
            {
                "pt": stored[f"ptUnclustered{direction}"],
                "phi": stored[f"phiUnclustered{direction}"],
            },
            with_name="MissingET",
            behavior=events.behavior,
        )
        moved = full[f"unclustEn{direction}"]
        assert np.allclose(flat(moved.x - full["nominal"].x), flat(shifted.x - stored.x), atol=1e-4)


def test_only_the_branches_needed_are_read(nanoaod, files, ul16):
    log = []
    events = files(nanoaod("nano_dy.root"), access_log=log)
    jets = correct_jets(events, ul16, is_data=False, variations=jet_variations(["Total"]))
    type1_met(events, jets, ul16, is_data=False, unclustered=True)
    jet = ["pt", "eta", "phi", "mass", "rawFactor", "area", "genJetIdx", "muonSubtrFactor"]
    low = ["rawPt", "eta", "phi", "area", "muonSubtrFactor"]
    expected = {f"Jet_{b}" for b in [*jet, "chEmEF", "neEmEF"]} | {"nJet", "nCorrT1METJet"}
    expected |= {f"CorrT1METJet_{b}" for b in low}
    expected |= {"nGenJet", "GenJet_pt", "GenJet_eta", "GenJet_phi"}
    expected |= {"run", "luminosityBlock", "event", "fixedGridRhoFastjetAll"}
    expected |= {"RawMET_pt", "RawMET_phi", "MET_MetUnclustEnUpDeltaX", "MET_MetUnclustEnUpDeltaY"}
    assert {record.branch for record in log} == expected
