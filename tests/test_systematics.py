"""Corrections and systematic variations through a processor, end to end on generated tt̄."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from opencoffea import run
from opencoffea.corrections.apply import Corrector
from opencoffea.errors import ConfigError
from opencoffea.events import describe, events_from, open_file

from .conftest import real_file
from .helpers import config_of

CODE = """
import awkward as ak
from opencoffea import Processor

class Jets(Processor):
    def analyze(self, events, out):
        jets = events.Jet[(events.Jet.pt > 30) & (abs(events.Jet.eta) < 2.4)]
        out.cut("two jets", ak.num(jets) >= 2)
        jets = out.select(jets)
        out.fill("ht", ht=ak.sum(jets.pt, axis=1))
        out.fill("met", met=out.select(events.MET.pt))
"""
HISTOGRAMS = {
    "ht": {"axes": [{"name": "ht", "bins": 30, "start": 0, "stop": 1500}]},
    "met": {"axes": [{"name": "met", "bins": 30, "start": 0, "stop": 300}]},
}
JME = {
    "payload": "POG/JME/2016postVFP_UL/jet_jerc.json.gz",
    "mc_jec": "Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs",
    "data_jec": [[278769, 284044, "Summer19UL16_RunFGH_V7_DATA_L1L2L3Res_AK4PFchs"]],
    "uncertainty": "Summer19UL16_V7_MC_{source}_AK4PFchs",
    "jer_resolution": "Summer20UL16_JRV3_MC_PtResolution_AK4PFchs",
    "jer_scale_factor": "Summer20UL16_JRV3_MC_ScaleFactor_AK4PFchs",
    "sources": ["Total", "AbsoluteStat"],
}
PILEUP = {
    "payload": "POG/LUM/2016postVFP_UL/puWeights.json.gz",
    "key": "Collisions16_UltraLegacy_goldenJSON",
}


def analysis(tmp_path, systematics, **extra):
    root = real_file("corrections", "jsonpog-integration")
    return config_of(
        tmp_path,
        datasets={
            "TT": {
                "generate": {"process": "ttbar", "events": 3000, "seed": 9},
                "kind": "mc",
                "xsec": 833.9,
            },
            "Data": {"generate": {"process": "ttbar", "events": 1500, "seed": 10}, "kind": "data"},
        },
        histograms=HISTOGRAMS,
        code=CODE,
        cls="Jets",
        corrections={"payloads": str(root), "jets": JME, "pileup": PILEUP},
        systematics=systematics,
        **extra,
    )


def test_every_variation_is_filled_and_nominal_is_unchanged(tmp_path):
    config = analysis(tmp_path, ["jes", "jer", "unclustered", "pileup"])
    result = run(config, chunksize=1000, status=False)
    assert result.complete
    (jme, pileup) = result.corrections  # provenance: file, keys and checksum of each payload
    assert jme["file"].endswith("jet_jerc.json.gz") and len(jme["sha256"]) == 64
    assert "Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs" in jme["keys"]
    assert pileup["keys"] == ["Collisions16_UltraLegacy_goldenJSON"]
    expected = {
        "nominal",
        "jesTotalUp",
        "jesTotalDown",
        "jesAbsoluteStatUp",
        "jesAbsoluteStatDown",
        "jerUp",
        "jerDown",
        "unclustEnUp",
        "unclustEnDown",
        "pileupUp",
        "pileupDown",
    }
    ht = result.raw["ht"]
    tt = ht[{"dataset": "TT"}]
    assert set(tt.axes["systematic"]) == expected
    assert set(ht[{"dataset": "Data"}].axes["systematic"]) >= {"nominal"}
    data_systematics = {
        s for s in ht.axes["systematic"] if ht[{"dataset": "Data", "systematic": s}].values().sum()
    }
    assert data_systematics == {"nominal"}  # data never gets simulation's variations

    nominal = tt[{"systematic": "nominal"}].values()
    up, down = (
        tt[{"systematic": "jesTotalUp"}].values(),
        tt[{"systematic": "jesTotalDown"}].values(),
    )
    mean = lambda v: np.average(ht.axes["ht"].centers, weights=np.clip(v, 0, None))  # noqa: E731
    assert mean(down) < mean(nominal) < mean(up)  # JES moves HT the right way
    # the met variations move MET but not the jets
    np.testing.assert_array_equal(tt[{"systematic": "unclustEnUp"}].values(), nominal)

    plain = run(analysis(tmp_path / "plain", []), chunksize=3000, status=False)
    p = plain.raw["ht"][{"dataset": "TT", "systematic": "nominal"}]
    np.testing.assert_allclose(p.values(), nominal, rtol=1e-12)
    for dataset, cutflow in plain.cutflows.items():  # the cutflow is the nominal one
        for cut, (events, sumw) in cutflow.entries.items():
            other = result.cutflows[dataset].entries[cut]
            assert other[0] == events and other[1] == pytest.approx(sumw, rel=1e-12)


KEEPS_NO_VARIATION = """
import weakref

import awkward as ak
from opencoffea import Processor

SEEN = []  # a weak reference to the events of each variation analyzed


class Jets(Processor):
    def analyze(self, events, out):
        alive = [name for name, seen in SEEN if seen() is not None]
        assert not alive, f"the events of {alive} outlived their analyze call"
        SEEN.append((out.systematic, weakref.ref(events)))
        jets = events.Jet[events.Jet.pt > 30]
        out.fill("ht", ht=ak.sum(jets.pt, axis=1))
        out.fill("met", met=events.MET.pt)
"""


def test_a_variation_is_made_for_its_analyze_call_and_let_go_after(tmp_path):
    config = analysis(tmp_path, ["jes", "jer", "unclustered"])
    config = config.model_copy(update={"datasets": {"TT": config.datasets["TT"]}})
    (tmp_path / "analyses" / "a.py").write_text(KEEPS_NO_VARIATION)
    result = run(config, chunksize=3000, status=False)
    assert result.failures == [] and result.complete
    assert len(result.raw["ht"].axes["systematic"]) == 9

    corrector = Corrector(config)
    path = str(result.inputs["TT"][0].info.path)
    file = open_file(path)
    try:
        applied = corrector.apply(events_from(file, describe(file, path)), is_data=False)
        assert list(applied.events) == corrector.shape_variations(is_data=False)
        up = applied.events["jesTotalUp"]
        assert up is not applied.events["jesTotalUp"]  # made at each access, kept by none
        assert ak.to_list(up.Jet.pt) == ak.to_list(applied.events["jesTotalUp"].Jet.pt)
        unclustered, nominal = applied.events["unclustEnUp"], applied.events["nominal"]
        assert ak.to_list(unclustered.Jet.pt) == ak.to_list(nominal.Jet.pt)
        with pytest.raises(KeyError):
            applied.events["jesFlavorQCDUp"]
    finally:
        file.close()


@pytest.mark.slow
def test_variations_are_identical_on_dask_and_any_chunking(tmp_path):
    config = analysis(tmp_path, ["jes", "jer", "pileup"])
    iterative = run(config, chunksize=700, status=False)
    dask = run(config, executor="dask", workers=2, chunksize=1600, status=False)
    for name in ("ht", "met"):
        a, b = iterative.raw[name], dask.raw[name]
        for dataset in ("TT", "Data"):
            for systematic in a.axes["systematic"]:
                np.testing.assert_allclose(
                    a[{"dataset": dataset, "systematic": systematic}].values(flow=True),
                    b[{"dataset": dataset, "systematic": systematic}].values(flow=True),
                    rtol=1e-12,
                )


def test_a_systematic_without_its_correction_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"systematics\.0: 'pileup' needs corrections\.pileup"):
        config_of(
            tmp_path,
            datasets={
                "TT": {"generate": {"process": "ttbar", "events": 10}, "kind": "mc", "xsec": 1}
            },
            systematics=["pileup"],
        )


def test_an_era_gives_the_payloads_and_keys_of_the_manifest(tmp_path):
    root = real_file("corrections", "jsonpog-integration")
    config = config_of(
        tmp_path,
        datasets={
            "TT": {
                "generate": {"process": "ttbar", "events": 500, "seed": 9},
                "kind": "mc",
                "xsec": 1.0,
            }
        },
        histograms=HISTOGRAMS,
        code=CODE,
        cls="Jets",
        era="2016postVFP_UL",
        corrections={"payloads": str(root), "jets": {"sources": ["Total"]}, "pileup": {}},
        systematics=["jes", "pileup"],
    )
    result = run(config, status=False)
    assert result.complete
    jme, pileup = result.corrections
    assert "Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs" in jme["keys"]
    assert pileup["keys"] == ["Collisions16_UltraLegacy_goldenJSON"]
    assert {"jesTotalUp", "pileupDown"} <= set(result.raw["ht"].axes["systematic"])


def test_an_unknown_era_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"era: .*2016postVFP_UL"):
        config_of(
            tmp_path,
            datasets={
                "TT": {"generate": {"process": "ttbar", "events": 10}, "kind": "mc", "xsec": 1}
            },
            era="2016postVFP",
            corrections={"pileup": {}},
        )
