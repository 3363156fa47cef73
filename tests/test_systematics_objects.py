"""e/γ energy variations and object scale factors declared in YAML, through a processor.

The expected sums are computed here from the files' branches with uproot and numpy, and
the scale factors with correctionlib evaluated directly: nothing of opencoffea's
correction code is used to make an expectation, except where said (the Run 3 smearing,
whose random numbers are opencoffea's own by design and tested in
test_corrections_egamma_sf.py).
"""

from __future__ import annotations

import awkward as ak
import correctionlib
import numpy as np
import pytest
import uproot

from opencoffea import run
from opencoffea.corrections.egamma_payloads import smear_mc
from opencoffea.errors import AnalysisError, ConfigError
from opencoffea.events import describe, events_from, open_file

from .conftest import real_file
from .egm_payloads import et_dependent_payload
from .helpers import config_of

CODE = """
import awkward as ak
import numpy as np
from opencoffea import Processor

def total(values):
    while values.ndim > 1:
        values = ak.sum(values, axis=-1)
    return values

class Objects(Processor):
    def analyze(self, events, out):
        zeros = np.zeros(len(events), dtype=int)
        for name, values in (
            ("electron_pt", events.Electron.pt),
            ("photon_pt", events.Photon.pt),
            ("jet_pt", events.Jet.pt),
            ("jet_electron_pt", events.Jet.matched_electrons.pt),
        ):
            out.fill("sums", what=name, n=zeros, weight=total(values))
        mu, el = events.Muon, events.Electron
        muons = mu[(mu.pt > 20) & (abs(mu.eta) < 2.4) & mu.tightId]
        electrons = el[
            (el.pt > 20) & (el.pt < 400) & (abs(el.eta + el.deltaEtaSC) < 2.4) & (el.cutBased >= 4)
        ]
        out.scale_factor("muon_id", muons)
        out.scale_factor("electron_id", electrons)
        out.fill("sums", what="events", n=zeros)
"""
WHAT = ["electron_pt", "photon_pt", "jet_pt", "jet_electron_pt", "events"]
HISTOGRAMS = {
    "sums": {
        "axes": [
            {"name": "what", "type": "category", "categories": WHAT},
            {"name": "n", "type": "integer", "start": 0, "stop": 1},
        ]
    }
}
ERA = "2016postVFP_UL"
MUON_KEY = "NUM_TightID_DEN_TrackerMuons"
SCALE_FACTORS = {
    "muon_id": {"object": "muon", "key": MUON_KEY},
    "electron_id": {"object": "electron", "working_point": "Tight"},
}


def analysis(tmp_path, systematics, *, datasets=None, code=CODE, **corrections):
    return config_of(
        tmp_path,
        datasets=datasets
        or {
            "TT": {
                "generate": {"process": "ttbar", "events": 2000, "seed": 21},
                "kind": "mc",
                "xsec": 833.9,
            },
            "Data": {"generate": {"process": "ttbar", "events": 800, "seed": 22}, "kind": "data"},
        },
        histograms=HISTOGRAMS,
        code=code,
        cls="Objects",
        era=ERA,
        corrections={
            "payloads": str(real_file("corrections", "jsonpog-integration")),
            "electrons": {},
            "photons": {},
            "scale_factors": SCALE_FACTORS,
            **corrections,
        },
        systematics=systematics,
    )


def sums(result, dataset: str) -> dict[str, dict[str, float]]:
    """{systematic: {what: Σ}} of the ``sums`` histogram of one dataset."""
    h = result.raw["sums"][{"dataset": dataset}]
    return {
        s: {w: float(h[{"systematic": s, "what": w}].values().sum()) for w in WHAT}
        for s in h.axes["systematic"]
    }


def shifted_pt(arrays, prefix: str, branch: str) -> ak.Array:
    """pt·(E − dE)/E: CMSSW stores dE as the nominal minus the shifted energy."""
    pt = ak.values_astype(arrays[f"{prefix}_pt"], np.float64)
    energy = pt * np.cosh(arrays[f"{prefix}_eta"])
    return pt * (energy - arrays[f"{prefix}_{branch}"]) / energy


def product(values: ak.Array) -> np.ndarray:
    return ak.to_numpy(ak.prod(values, axis=1))


def test_egamma_variations_and_scale_factors_from_yaml(tmp_path):
    config = analysis(tmp_path, ["egamma", "muon_id", "electron_id", "jes"], jets={})
    result = run(config, chunksize=700, status=False)
    assert result.complete and result.warnings == []
    (path,) = [f.info.path for f in result.inputs["TT"]]
    arrays = uproot.open(path)["Events"].arrays()
    w = ak.to_numpy(arrays.genWeight).astype(np.float64)

    got = sums(result, "TT")
    egamma = {f"{o}{s}" for o in ("electron", "photon") for s in ("Scale", "Smear")}
    weights = {"muon_id", "electron_id", "jesTotal"}
    assert set(got) == {"nominal"} | {f"{n}{d}" for n in egamma | weights for d in ("Up", "Down")}

    # e/γ: Run 2 NanoAOD has the corrections applied; the variations are the stored shifts
    def weighted(values):
        return float(np.sum(w * ak.to_numpy(ak.sum(values, axis=1))))

    electron_pt = ak.values_astype(arrays.Electron_pt, np.float64)
    assert got["nominal"]["electron_pt"] == pytest.approx(weighted(electron_pt), rel=1e-6)
    for name, prefix, branch in (
        ("electronScaleUp", "Electron", "dEscaleUp"),
        ("electronScaleDown", "Electron", "dEscaleDown"),
        ("electronSmearUp", "Electron", "dEsigmaUp"),
        ("photonScaleDown", "Photon", "dEscaleDown"),
        ("photonSmearUp", "Photon", "dEsigmaUp"),
    ):
        what = f"{prefix.lower()}_pt"
        expected = weighted(shifted_pt(arrays, prefix, branch))
        assert got[name][what] == pytest.approx(expected, rel=1e-6), name
        assert got[name][what] != pytest.approx(got["nominal"][what], rel=1e-7), name
        assert got[name]["jet_pt"] == got["nominal"]["jet_pt"]  # jets untouched by e/γ
    assert got["electronScaleUp"]["electron_pt"] > got["nominal"]["electron_pt"]
    assert got["jesTotalUp"]["electron_pt"] == got["nominal"]["electron_pt"]
    assert got["jesTotalUp"]["jet_pt"] > got["nominal"]["jet_pt"]
    # jets reach the varied electrons through their cross-references
    has = arrays.Jet_electronIdx1 >= 0
    first = ak.where(has, arrays.Jet_electronIdx1, 0)
    for name, branch in (("nominal", None), ("electronScaleUp", "dEscaleUp")):
        pt = electron_pt if branch is None else shifted_pt(arrays, "Electron", branch)
        pt = ak.fill_none(ak.pad_none(pt, 1), 0.0)  # index 0 exists where no jet points
        has2 = arrays.Jet_electronIdx2 >= 0
        second = ak.where(has2, arrays.Jet_electronIdx2, 0)
        per_jet = ak.where(has, pt[first], 0.0) + ak.where(has2, pt[second], 0.0)
        assert got[name]["jet_electron_pt"] == pytest.approx(weighted(per_jet), rel=1e-6)

    # scale factors: the payloads' product over the objects selected, with their variations
    payloads = real_file("corrections", "jsonpog-integration", "POG")
    muon_sf = correctionlib.CorrectionSet.from_file(str(payloads / "MUO" / ERA / "muon_Z.json.gz"))
    egm = correctionlib.CorrectionSet.from_file(str(payloads / "EGM" / ERA / "electron.json.gz"))
    mu = ak.zip({"pt": arrays.Muon_pt, "eta": arrays.Muon_eta, "tight": arrays.Muon_tightId})
    mu = mu[(mu.pt > 20) & (abs(mu.eta) < 2.4) & mu.tight]
    el = ak.zip(
        {
            "pt": arrays.Electron_pt,
            "sc": arrays.Electron_eta + arrays.Electron_deltaEtaSC,
            "id": arrays.Electron_cutBased,
        }
    )
    el = el[(el.pt > 20) & (el.pt < 400) & (abs(el.sc) < 2.4) & (el.id >= 4)]

    def muon(kind):
        counts, pt, eta = ak.num(mu), ak.flatten(mu.pt), abs(ak.flatten(mu.eta))
        values = muon_sf[MUON_KEY].evaluate(ERA, np.asarray(eta), np.asarray(pt), kind)
        return product(ak.unflatten(values, counts))

    def electron(kind):
        counts, pt, eta = ak.num(el), ak.flatten(el.pt), ak.flatten(el.sc)
        values = egm["UL-Electron-ID-SF"].evaluate(
            "2016postVFP", kind, "Tight", np.asarray(eta), np.asarray(pt)
        )
        return product(ak.unflatten(values, counts))

    assert ak.sum(ak.num(mu) > 0) > 100 and ak.sum(ak.num(el) > 0) > 100
    expected = {
        "nominal": muon("sf") * electron("sf"),
        "muon_idUp": muon("systup") * electron("sf"),
        "muon_idDown": muon("systdown") * electron("sf"),
        "electron_idUp": muon("sf") * electron("sfup"),
        "electron_idDown": muon("sf") * electron("sfdown"),
    }
    for name, factor in expected.items():
        assert got[name]["events"] == pytest.approx(float(np.sum(w * factor)), rel=1e-9), name
    # the shape variations run the physics again: the scale factors come with them
    assert got["electronScaleUp"]["events"] != got["nominal"]["events"]

    # data: no variation, no scale factor
    data = sums(result, "Data")
    assert data["nominal"]["events"] == 800
    assert {s for s, v in data.items() if v["events"]} == {"nominal"}


def test_a_variation_the_file_cannot_give_is_the_nominal_and_a_warning(tmp_path):
    datasets = {
        "DY": {"files": [str(real_file("nanoaod", "nano_dy.root"))], "kind": "mc", "xsec": 1.0}
    }
    code = CODE.split("        mu, el =")[0]  # the sums only
    config = analysis(tmp_path, ["egamma"], datasets=datasets, code=code, scale_factors={})
    result = run(config, status=False)
    assert result.complete
    got = sums(result, "DY")
    for name in ("electronScaleUp", "electronSmearDown", "photonScaleUp"):
        assert got[name] == got["nominal"]
    warned = "\n".join(result.warnings)
    assert "DY: electronScaleUp/electronScaleDown equal the nominal" in warned
    assert "Electron_dEscaleUp, Electron_dEscaleDown are not in this file" in warned
    assert "photonSmearUp/photonSmearDown equal the nominal" in warned


RUN3_CODE = """
import awkward as ak
import numpy as np
from opencoffea import Processor

class Objects(Processor):
    def analyze(self, events, out):
        zeros = np.zeros(len(events), dtype=int)
        out.fill("sums", what="electron_pt", n=zeros, weight=ak.sum(events.Electron.pt, axis=1))
        out.fill("sums", what="jet_pt", n=zeros, weight=ak.sum(events.Jet.pt, axis=1))
        out.fill("sums", what="events", n=zeros)
"""


def test_run3_electrons_are_smeared_from_the_payload_with_summer22_jets(tmp_path):
    egm = et_dependent_payload(tmp_path / "electronSS_EtDependent.json.gz")
    scale, smear = "EGMScale_Compound_Ele_2022preEE", "EGMSmearAndSyst_ElePTsplit_2022preEE"
    v15 = real_file("nanoaod", "nano_tt_v15.root")
    config = config_of(
        tmp_path,
        datasets={"TT": {"files": [str(v15)], "kind": "mc", "xsec": 1.0}},
        histograms=HISTOGRAMS,
        code=RUN3_CODE,
        cls="Objects",
        era="Summer22",
        corrections={
            "payloads": str(real_file("corrections")),  # jet_jerc_Summer22_V3.json.gz there
            "jets": {"sources": ["Total"]},
            "electrons": {"payload": str(egm), "scale": scale, "smear": smear},
        },
        systematics=["jes", "jer", "egamma"],
    )
    result = run(config, chunksize=37, status=False)
    assert result.complete and result.warnings == []
    got = sums(result, "TT")
    assert {"jesTotalUp", "jerDown", "electronScaleUp", "electronSmearDown"} <= set(got)
    with open_file(str(v15)) as file:
        events = events_from(file, describe(file, str(v15)))
        smeared = smear_mc(events, egm, smear, scale_key=scale)
        w = ak.to_numpy(events.genWeight).astype(np.float64)
        stored = float(np.sum(w * ak.to_numpy(ak.sum(events.Electron.pt, axis=1))))

    def weighted(electrons):
        return float(np.sum(w * ak.to_numpy(ak.sum(electrons.pt, axis=1))))

    assert got["nominal"]["electron_pt"] == pytest.approx(weighted(smeared.nominal), rel=1e-9)
    assert got["nominal"]["electron_pt"] != pytest.approx(stored, rel=1e-6)
    variations = {v.name: v for v in smeared.variations}
    for name, source, direction in (
        ("electronScaleUp", "Electron_scale", "up"),
        ("electronSmearDown", "Electron_smear", "down"),
    ):
        expected = weighted(getattr(variations[source], direction))
        assert got[name]["electron_pt"] == pytest.approx(expected, rel=1e-9)
    assert got["jesTotalUp"]["jet_pt"] > got["nominal"]["jet_pt"] > got["jesTotalDown"]["jet_pt"]
    assert got["jesTotalUp"]["electron_pt"] == got["nominal"]["electron_pt"]


def test_data_given_simulation_stops_the_run_with_the_reason(tmp_path):
    egm = et_dependent_payload(tmp_path / "electronSS_EtDependent.json.gz")
    config = config_of(
        tmp_path,
        datasets={
            "Data": {"files": [str(real_file("nanoaod", "nano_tt_v15.root"))], "kind": "data"}
        },
        histograms=HISTOGRAMS,
        code=RUN3_CODE,
        cls="Objects",
        corrections={
            "electrons": {"payload": str(egm), "scale": "EGMScale_Compound_Ele_2022preEE"}
        },
    )
    # found by the pre-pass, before the corrections would find it in the first chunk
    with pytest.raises(ConfigError, match=r"line 8, datasets\.Data\.kind: .* is simulation"):
        run(config, status=False)


def test_out_scale_factor_of_an_undeclared_name_stops_the_run(tmp_path):
    code = CODE.replace('out.scale_factor("muon_id"', 'out.scale_factor("muon_idd"')
    config = analysis(tmp_path, [], code=code)
    with pytest.raises(AnalysisError, match=r"no scale factor 'muon_idd'.*did you mean 'muon_id'"):
        run(config, status=False)


@pytest.mark.parametrize(
    ("corrections", "systematics", "message"),
    [
        ({}, ["egama"], r"systematics\.0: unknown systematic 'egama' \(did you mean 'egamma'\?\)"),
        ({}, ["jes"], r"'jes' needs corrections\.jets"),
        (
            {"scale_factors": {"e": {"object": "electron", "working_point": "tight"}}},
            [],
            r"working_point: 'tight' is not a working point of era 2016postVFP_UL "
            r"\(did you mean 'Tight'\?\)",
        ),
        (
            {"scale_factors": {"m": {"object": "muon"}}},
            [],
            r"scale_factors\.m: a muon scale factor needs its key",
        ),
        (
            {"scale_factors": {"m": {"object": "muon", "key": "NUM_TightID_DEN_Tracker"}}},
            [],
            r"is not a muon key of era 2016postVFP_UL \(did you mean 'NUM_TightID_DEN_Tracker",
        ),
        (
            {"jets": {"mc_jec": "Summer19UL16_RunFGH_V7_DATA_L1L2L3Res_AK4PFchs"}},
            [],
            r"jets\.mc_jec: is a data key \(_DATA_\): simulation takes an MC key",
        ),
        (
            {"jets": {"data_jec": [[1, 2, "Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs"]]}},
            [],
            r"data_jec\.0: Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs is an MC key",
        ),
        (
            {"electrons": {"payload": "x.json.gz", "smear": "S"}},
            [],
            r"corrections\.electrons: data datasets need 'scale'",
        ),
        (
            {"electrons": {"payload": "x.json.gz", "scale": "S"}},
            [],
            r"corrections\.electrons: simulated datasets need 'smear'",
        ),
        (
            {"photons": {"scale": "S"}},
            [],
            r"scale and smear are keys of an EGM payload",
        ),
    ],
)
def test_corrections_that_cannot_work_are_configuration_errors(
    tmp_path, corrections, systematics, message
):
    with pytest.raises(ConfigError, match=message):
        analysis(tmp_path, systematics, **{"scale_factors": {}, **corrections})
