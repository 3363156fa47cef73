"""Synthetic NanoAOD samples: deterministic, shaped like real files, readable by coffea, and
physically sensible where analyses look (resonance peaks, weights, luminosity sections, MET)."""

from __future__ import annotations

import json
import warnings

import awkward as ak
import numpy as np
import pytest
import uproot
from coffea.nanoevents import NanoAODSchema, NanoEventsFactory

from opencoffea import samples
from opencoffea.config import GeneratedSample
from opencoffea.datasets.fileset import generated_files
from opencoffea.samples import GENERATOR_VERSION, PROCESSES, demo_samples, generate, writing

from .conftest import real_file

EVENTS = 2_000
GOLDEN_2016 = "Cert_271036-284044_13TeV_Legacy2016_Collisions16_JSON_MuonPhys.txt"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """``sample(process, events=EVENTS, **options)`` → path of a generated file, made once."""
    directory = tmp_path_factory.mktemp("samples")
    made = {}

    def make(process: str, events: int = EVENTS, **options):
        name = "-".join([process, str(events), *(f"{k}={v}" for k, v in sorted(options.items()))])
        if name not in made:
            made[name] = generate(process, directory / f"{name}.root", events, **options)
        return made[name]

    return make


def events_of(path):
    """The events of a file as coffea's NanoAODSchema builds them."""
    with warnings.catch_warnings():
        # NanoAODv9 collections these files do not carry (Tau, FatJet, FsrPhoton, ...)
        warnings.filterwarnings("ignore", "Missing cross-reference", RuntimeWarning)
        factory = NanoEventsFactory.from_root(
            {str(path): "Events"}, schemaclass=NanoAODSchema, mode="virtual"
        )
        return factory.events()


def arrays(path, tree="Events", **options):
    with uproot.open(path) as file:
        return file[tree].arrays(**options)


def same_content(a, b) -> bool:
    return a.fields == b.fields and all(
        ak.array_equal(a[field], b[field], equal_nan=True) for field in a.fields
    )


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_gives_identical_events_and_another_seed_does_not(tmp_path):
    first = generate("dy_mumu", tmp_path / "a.root", EVENTS, seed=3)
    second = generate("dy_mumu", tmp_path / "b.root", EVENTS, seed=3)
    other = generate("dy_mumu", tmp_path / "c.root", EVENTS, seed=4)

    assert same_content(arrays(first), arrays(second))
    assert same_content(arrays(first, "Runs"), arrays(second, "Runs"))
    assert not ak.array_equal(arrays(first).Muon_pt, arrays(other).Muon_pt)


def test_chunk_size_changes_the_baskets_not_the_events(tmp_path):
    events = 12_000  # more than one internal block of 10 000
    big = generate("ttbar", tmp_path / "big.root", events, seed=5, compression="zstd")
    small = generate(
        "ttbar", tmp_path / "small.root", events, seed=5, compression="zstd", chunk_size=3_500
    )

    with uproot.open(big) as a, uproot.open(small) as b:
        assert a["Events/Jet_pt"].num_baskets == 1
        assert b["Events/Jet_pt"].num_baskets == 4
    assert same_content(arrays(big), arrays(small))


@pytest.mark.parametrize("compression", ["lzma", "zstd", "lz4", "zlib", "none"])
def test_every_compression_writes_the_same_events(sample, compression):
    path = sample("zz4l", events=500, compression=compression)

    with uproot.open(path) as file:
        algorithm = type(file.file.compression).__name__ if file.file.compression else "none"
    assert algorithm.lower() == compression
    assert same_content(arrays(path), arrays(sample("zz4l", events=500, compression="zstd")))


# -- the NanoAOD layout --------------------------------------------------------------------------


def test_branches_have_the_types_and_titles_of_real_nanoaod(sample, nanoaod):
    with uproot.open(nanoaod("nano_dy.root")) as real, uproot.open(sample("ttbar")) as ours:
        real_events, events = real["Events"], ours["Events"]
        names, real_names = events.keys(), set(real_events.keys())
        shared = [name for name in names if name in real_names]
        assert len(shared) > 100
        for name in shared:
            assert events[name].title == real_events[name].title, name
            assert repr(events[name].interpretation) == repr(real_events[name].interpretation), name
        counters = [name for name in names if name.startswith("n")]
        assert {str(events[n].interpretation) for n in counters} == {"AsDtype('>u4')"}


def test_runs_tree_holds_exact_sums_of_the_generator_weights(sample):
    path = sample("dy_mumu")
    weights = arrays(path, filter_name="genWeight").genWeight.to_numpy()
    runs = arrays(path, "Runs")

    assert len(set(np.abs(weights))) == 1  # one magnitude, both signs: NLO-like
    assert 0.05 < np.mean(weights < 0) < 0.3
    assert runs.genEventCount.tolist() == [EVENTS]
    # the magnitude is a power of two, so these sums are exact in any order
    assert runs.genEventSumw[0] == weights.astype(np.float64).sum()
    assert runs.genEventSumw2[0] == (weights.astype(np.float64) ** 2).sum()


def test_pre_v7_runs_tree_names_its_sums_with_a_trailing_underscore(sample):
    with uproot.open(sample("dy_mumu", runs_style="pre-v7")) as file:
        assert file["Runs"].keys() == ["run", "genEventCount_", "genEventSumw_", "genEventSumw2_"]


def test_luminosity_blocks_tree_lists_the_sections_of_the_events(sample):
    path = sample("dimuon_data", events=20_000)
    events = arrays(path, filter_name=["run", "luminosityBlock"])
    blocks = arrays(path, "LuminosityBlocks")

    seen = sorted(set(zip(events.run.tolist(), events.luminosityBlock.tolist(), strict=True)))
    assert sorted(zip(blocks.run.tolist(), blocks.luminosityBlock.tolist(), strict=True)) == seen


# -- coffea reads every process and kind ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["mc", "data"])
@pytest.mark.parametrize("process", [p for p in PROCESSES if p != "dimuon_data"])
def test_coffea_reads_every_process_and_kind(sample, process, kind):
    events = events_of(sample(process, kind=kind))

    assert len(events) == EVENTS
    assert ak.all(events.Jet.pt >= 15)  # cut at 15 GeV, then stored with 10 mantissa bits
    assert ak.all((events.Muon.pt > 3) & (abs(events.Muon.eta) < 2.4))
    assert ak.all(events.Jet.matched_muons.pt >= 0)  # indices in range, None where -1
    assert ("GenPart" in events.fields) is (kind == "mc")
    assert ("genWeight" in events.fields) is (kind == "mc")
    if kind == "mc":
        assert ak.all(abs(events.Muon.matched_gen.pdgId) == 13)
        assert ak.all(abs(events.Electron.matched_gen.pdgId) == 11)


def test_dimuon_data_is_dy_mumu_in_its_data_flavour(sample):
    assert same_content(arrays(sample("dimuon_data")), arrays(sample("dy_mumu", kind="data")))


def test_jets_point_to_their_generator_jets_and_leptons_to_their_jets(sample):
    events = events_of(sample("ttbar"))
    jets, muons = events.Jet, events.Muon

    response = ak.to_numpy(ak.drop_none(ak.flatten(jets.pt / jets.matched_gen.pt)))
    assert len(response) > EVENTS and 0.95 < np.median(response) < 1.05
    assert set(ak.flatten(jets.matched_gen.hadronFlavour).tolist()) >= {0, 4, 5}

    in_jet = muons[~ak.is_none(muons.matched_jet, axis=1)]
    assert ak.sum(ak.num(in_jet)) > 100
    assert ak.all(in_jet.delta_r(in_jet.matched_jet) < 0.4)
    # and back: the jet lists the muon among its muonIdx1/muonIdx2
    index = ak.local_index(muons)[~ak.is_none(muons.matched_jet, axis=1)]
    listed = (in_jet.matched_jet.muonIdx1 == index) | (in_jet.matched_jet.muonIdx2 == index)
    assert ak.all(listed)


def test_raw_jets_and_type1_met_are_consistent(sample):
    events = events_of(sample("ttbar"))
    jets = events.Jet

    assert 0.02 < np.median(ak.flatten(jets.rawFactor)) < 0.1
    assert 0.45 < np.median(ak.flatten(jets.area)) < 0.55
    # MET = RawMET - Σ (corrected - raw) over muon-subtracted jets above 15 GeV, not EM
    subtracted = jets.pt * (1 - jets.muonSubtrFactor)
    used = (subtracted > 15) & (jets.chEmEF + jets.neEmEF < 0.9)
    shift = ak.where(used, jets.rawFactor * subtracted, 0)
    met_x = events.RawMET.pt * np.cos(events.RawMET.phi) - ak.sum(shift * np.cos(jets.phi), axis=1)
    met_y = events.RawMET.pt * np.sin(events.RawMET.phi) - ak.sum(shift * np.sin(jets.phi), axis=1)
    assert np.allclose(np.hypot(met_x, met_y), events.MET.pt, atol=0.5)
    # neutrinos: tt̄ has real missing momentum, Drell–Yan has only resolution
    dy = events_of(sample("dy_mumu"))
    assert np.median(events.MET.pt) > 2 * np.median(dy.MET.pt)


# -- physics -------------------------------------------------------------------------------------


def opposite_sign_dimuon_masses(path) -> np.ndarray:
    muons = events_of(path).Muon
    pairs = ak.combinations(muons, 2)
    pairs = pairs[pairs["0"].charge != pairs["1"].charge]
    return ak.flatten((pairs["0"] + pairs["1"]).mass).to_numpy()


@pytest.mark.parametrize(
    ("resonance", "window", "sidebands"),
    [
        ("J/psi", (3.0, 3.2), [(2.6, 2.8), (3.3, 3.5)]),
        ("Upsilon(1S)", (9.2, 9.7), [(8.2, 8.7), (11.0, 11.5)]),
        ("Z", (86.0, 96.0), [(66.0, 76.0), (106.0, 116.0)]),
    ],
)
def test_dimuon_spectrum_shows_the_resonances(sample, resonance, window, sidebands):
    masses = opposite_sign_dimuon_masses(sample("dy_mumu", events=10_000))

    def count(lo, hi):
        return np.count_nonzero((masses > lo) & (masses < hi))

    assert count(*window) > 5 * max(1, np.mean([count(*band) for band in sidebands])), resonance


def test_dimuon_mass_resolution_is_about_one_percent(sample):
    masses = opposite_sign_dimuon_masses(sample("dy_mumu", events=10_000))
    peak = masses[(masses > 2.95) & (masses < 3.25)]
    assert 0.005 < np.std(peak) / 3.097 < 0.02


def test_dimuon_sample_has_soft_and_same_sign_muons(sample):
    muons = events_of(sample("dy_mumu")).Muon
    pairs = ak.combinations(muons, 2)
    same_sign = ak.sum(pairs["0"].charge == pairs["1"].charge)
    assert same_sign > 20
    assert ak.sum(muons.pfRelIso04_all > 0.3) > 50  # non-prompt, from heavy flavour


def test_four_lepton_mass_of_higgs_events_peaks_at_125(sample):
    events = events_of(sample("hzz4l", events=5_000))
    leptons = ak.concatenate([events.Muon, events.Electron], axis=1)
    leptons = leptons[(leptons.pfRelIso03_all < 0.35) & (abs(leptons.sip3d) < 4)]
    four = leptons[(ak.num(leptons) == 4) & (ak.sum(leptons.charge, axis=1) == 0)]
    m4l = (four[:, 0] + four[:, 1] + four[:, 2] + four[:, 3]).mass.to_numpy()

    assert len(m4l) > 1_000
    assert abs(np.median(m4l) - 125) < 1.5
    assert np.mean(abs(m4l - 125) < 5) > 0.7


# -- data ----------------------------------------------------------------------------------------


def test_data_has_no_generator_information(sample):
    with uproot.open(sample("dimuon_data")) as file:
        names = file["Events"].keys()
        assert file["Runs"].keys() == ["run"]
    assert not [n for n in names if "gen" in n.lower() or n.startswith("Pileup")]
    assert not [n for n in names if n.endswith("Flavour")]


def test_data_runs_are_real_2016_runs_partly_outside_the_golden_json(sample):
    golden = json.loads(real_file("lumimasks", GOLDEN_2016).read_text())
    ids = arrays(
        sample("dimuon_data", events=20_000), filter_name=["run", "luminosityBlock", "event"]
    )
    run, lumi, event = (ids[name].to_numpy() for name in ("run", "luminosityBlock", "event"))

    assert np.all((run >= 281613) & (run <= 284044)) and len(set(run)) > 1
    assert np.all(np.diff(event.astype(np.int64)) > 0)  # unique and increasing
    per_section = np.unique(np.stack([run, lumi]), axis=1, return_counts=True)[1]
    assert 100 <= per_section.max() <= 500

    def certified(r, ls):
        return any(lo <= ls <= hi for lo, hi in golden.get(str(r), []))

    inside = np.array([certified(r, ls) for r, ls in zip(run, lumi, strict=True)])
    assert 0.5 < inside.mean() < 1.0  # most, but not all, events pass the lumi mask


# -- the outreach layout -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mc", "data"])
def test_outreach_files_have_the_branches_of_the_real_one(sample, nanoaod, kind):
    real_path = nanoaod("AOD2NanoAODOutreachTool_output_20events.root")
    with (
        uproot.open(real_path) as real,
        uproot.open(sample("hzz4l", format="outreach", kind=kind)) as ours,
    ):
        real_events, events = real["aod2nanoaod/Events"], ours["aod2nanoaod/Events"]
        real_names = real_events.keys()
        expected = [n for n in real_names if kind == "mc" or "GenPart" not in n]
        assert events.keys() == expected
        for name in expected:
            assert repr(events[name].interpretation) == repr(real_events[name].interpretation), name
            assert events[name].title == real_events[name].title, name
        assert "Runs" not in ours


@pytest.mark.parametrize("process", ["hzz4l", "zz4l", "dy_mumu", "dy_ee"])
def test_outreach_indices_point_into_their_collections(sample, process):
    a = arrays(sample(process, format="outreach"), "aod2nanoaod/Events")

    for collection in ("Muon", "Electron", "Photon", "Tau"):
        jet, gen = a[f"{collection}_jetIdx"], a[f"{collection}_genPartIdx"]
        assert ak.all((jet >= -1) & (jet < a.nJet))
        assert ak.all((gen >= -1) & (gen < a.nGenPart))
    matched = a.Muon_genPartIdx[a.Muon_genPartIdx >= 0]
    assert ak.all(abs(a.GenPart_pdgId[matched]) > 0)


def test_outreach_data_comes_from_2012_runs(sample):
    a = arrays(sample("dimuon_data", format="outreach"), "aod2nanoaod/Events")
    assert np.all((a.run >= 190456) & (a.run <= 208686))
    assert ak.all(a.Muon_genPartIdx == -1)


# -- demo samples and arguments ------------------------------------------------------------------


def test_demo_samples_are_made_once_and_remade_when_asked_differently(tmp_path):
    paths = demo_samples(tmp_path / "demo", events=1_000)
    assert sorted(paths) == ["dimuon_data", "dy_mumu"]
    assert paths["dimuon_data"] == tmp_path / "demo" / "dimuon_data.root"
    stamps = {name: path.stat().st_mtime_ns for name, path in paths.items()}

    assert demo_samples(tmp_path / "demo", events=1_000) == paths
    assert {name: path.stat().st_mtime_ns for name, path in paths.items()} == stamps

    demo_samples(tmp_path / "demo", events=1_500)
    assert uproot.open(paths["dy_mumu"])["Events"].num_entries == 1_500


def test_cached_samples_are_remade_when_the_generator_changes(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENCOFFEA_CACHE", str(tmp_path))
    sample = GeneratedSample(process="dy_mumu", events=100, seed=3)
    (path,) = generated_files(sample, "mc")
    assert path.name == f"dy_mumu_mc_nanoaod_lzma_n100_s3_v{GENERATOR_VERSION}.root"
    assert generated_files(sample, "mc") == [path]  # the same generator: the file is reused

    monkeypatch.setattr(samples, "GENERATOR_VERSION", GENERATOR_VERSION + 1)
    (newer,) = generated_files(sample, "mc")
    assert newer != path and newer.name.endswith(f"_v{GENERATOR_VERSION + 1}.root")
    assert newer.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"process": "higgs"}, "unknown process"),
        ({"kind": "sim"}, "kind"),
        ({"format": "miniaod"}, "format"),
        ({"compression": "gzip"}, "unknown compression"),
        ({"events": -1}, "events"),
        ({"seed": 1.5}, "seed"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"runs_style": "v6"}, "runs_style"),
    ],
)
def test_bad_arguments_are_named(tmp_path, arguments, message):
    call = {"process": "dy_mumu", "path": tmp_path / "x.root", "events": 10, **arguments}
    with pytest.raises(ValueError, match=message):
        generate(**call)


def test_zero_events_make_a_valid_empty_file(tmp_path):
    path = generate("dy_mumu", tmp_path / "empty.root", 0)
    with uproot.open(path) as file:
        assert file["Events"].num_entries == 0
        assert file["Runs"]["genEventCount"].array().tolist() == [0]


def test_an_interrupted_run_leaves_no_file_behind(tmp_path, monkeypatch):
    def failing(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writing, "block_columns", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        generate("dy_mumu", tmp_path / "x.root", 10)
    assert list(tmp_path.iterdir()) == []
