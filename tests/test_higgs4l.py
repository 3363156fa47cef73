"""The H → ZZ → 4ℓ analysis (analyses/higgs4l.py, higgs4l_df103.py) against a plain df103.

The reference below reads the files with uproot and follows the ROOT tutorial df103 event by
event, in plain Python and numpy; the processor's columnar selection must agree with it on
every event: which events pass each channel (and how far each gets in its cutflow), Z1, Z2
and m4ℓ, in both modes (the truly closest Z pair, and df103's integer "best mass"). Then the
histograms and the per-channel cutflows of full runs must hold exactly what it selects.
"""

from __future__ import annotations

import functools
import itertools
import math
from pathlib import Path

import awkward as ak
import hist
import numpy as np
import pytest
import uproot
import yaml

from opencoffea import generate, load_config, run
from opencoffea.errors import AnalysisError
from opencoffea.events import describe, events_from, open_file
from opencoffea.histograms import book
from opencoffea.output import Output
from opencoffea.processor import import_analysis
from opencoffea.recorder import Recorder

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = ROOT / "analyses" / "higgs4l.py"
ANALYSIS_DF103 = ROOT / "analyses" / "higgs4l_df103.py"
REAL_FILE = "AOD2NanoAODOutreachTool_output_20events.root"

higgs4l = import_analysis(ANALYSIS)
higgs4l_df103 = import_analysis(ANALYSIS_DF103)

CHANNELS = ("4mu", "4e", "2e2mu")
STEPS = higgs4l.STEPS
MODES = {"closest": higgs4l.CLOSEST, "df103": higgs4l_df103.DF103}


# ---------------------------------------------------------------------------- the reference

BRANCHES = ("pt", "eta", "phi", "mass", "charge", "dxy", "dxyErr", "dz", "dzErr")


def read_leptons(path: Path) -> list[dict[str, dict[str, np.ndarray]]]:
    """Every event as {"Muon": {field: values}, "Electron": {...}}, read with uproot."""
    with uproot.open(path) as file:
        tree = file["aod2nanoaod/Events"]
        columns = {
            (flavour, field): tree[f"{flavour}_{field}"].array(library="np")
            for flavour, iso in (("Muon", "pfRelIso04_all"), ("Electron", "pfRelIso03_all"))
            for field in (*BRANCHES, iso)
        }
    n = len(next(iter(columns.values())))
    events = [{"Muon": {}, "Electron": {}} for _ in range(n)]
    for (flavour, field), values in columns.items():
        for event, value in zip(events, values, strict=True):
            event[flavour]["iso" if "RelIso" in field else field] = value
    return events


def four_vector(lep: dict, i: int) -> np.ndarray:
    pt, eta, phi, m = (float(lep[f][i]) for f in ("pt", "eta", "phi", "mass"))
    px, py, pz = pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta)
    return np.array([px, py, pz, math.sqrt(px * px + py * py + pz * pz + m * m)])


def mass(*vectors: np.ndarray) -> float:
    px, py, pz, e = sum(vectors)
    m2 = e * e - px * px - py * py - pz * pz
    return math.sqrt(m2) if m2 >= 0 else -math.sqrt(-m2)


def delta_r(lep_a: dict, i: int, lep_b: dict, j: int) -> float:
    dphi = (float(lep_b["phi"][j]) - float(lep_a["phi"][i]) + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(float(lep_b["eta"][j]) - float(lep_a["eta"][i]), dphi)


def near_vertex(lep: dict) -> bool:
    """df103's track cuts on every lepton; sip3d in single precision, as its Define has it."""
    dxy, dz, dxy_err, dz_err = lep["dxy"], lep["dz"], lep["dxyErr"], lep["dzErr"]
    with np.errstate(divide="ignore", invalid="ignore"):
        sip3d = np.sqrt(dxy * dxy + dz * dz) / np.sqrt(dxy_err * dxy_err + dz_err * dz_err)
    return bool(np.all(sip3d < 4) and np.all(abs(dxy) < 0.5) and np.all(abs(dz) < 1.0))


def as_stored(value: float, df103: bool) -> float:
    return float(np.float32(value)) if df103 else value


def first_failure(*cuts) -> int | None:
    """How many of ``cuts`` (callables, in order) pass before the first that fails."""
    for passed, cut in enumerate(cuts):
        if not cut():
            return passed
    return None


def reference_four(lep: dict, pt_min: float, eta_max: float, df103: bool):
    """(steps passed, (Z1, Z2, m4l) or None) for the 4μ / 4e channel of one event."""
    n, q = len(lep["pt"]), lep["charge"]
    failed = first_failure(
        lambda: n >= 4,
        lambda: np.all(abs(lep["iso"]) < 0.40),
        lambda: np.all(lep["pt"] > pt_min) and np.all(abs(lep["eta"]) < eta_max),
        lambda: near_vertex(lep),
        lambda: n == 4 and np.sum(q == 1) == 2 and np.sum(q == -1) == 2,
    )
    if failed is not None:
        return failed, None
    p = [four_vector(lep, i) for i in range(4)]
    best, best_mass = (0, 0), -1 if df103 else math.inf  # df103: `auto best_mass = -1;`
    for i, j in itertools.combinations(range(4), 2):
        if q[i] != q[j]:
            this = mass(p[i], p[j])
            if abs(91.2 - this) < abs(91.2 - best_mass):
                best_mass = int(this) if df103 else this  # an int keeps the integer part
                best = (i, j)
    other = tuple(k for k in range(4) if k not in best)[:2]  # df103 takes the first two
    if min(delta_r(lep, best[0], lep, best[1]), delta_r(lep, other[0], lep, other[1])) < 0.02:
        return 5, None
    z_a = as_stored(mass(p[best[0]], p[best[1]]), df103)
    z_b = as_stored(mass(p[other[0]], p[other[1]]), df103)
    z1, z2 = (z_a, z_b) if abs(z_a - 91.2) < abs(z_b - 91.2) else (z_b, z_a)
    return z_cuts(z1, z2, as_stored(mass(*p), df103))


def reference_2e2mu(el: dict, mu: dict, df103: bool):
    """(steps passed, (Z1, Z2, m4l) or None) for the 2e2μ channel, steps in STEPS order."""

    def leading(lep):
        pt = sorted(lep["pt"], reverse=True)
        return pt[0] > 20 and pt[1] > 10

    failed = first_failure(
        lambda: len(el["pt"]) >= 2 and len(mu["pt"]) >= 2,
        lambda: np.all(abs(el["iso"]) < 0.40) and np.all(abs(mu["iso"]) < 0.40),
        lambda: (
            np.all(abs(el["eta"]) < 2.5)
            and np.all(abs(mu["eta"]) < 2.4)
            and (leading(mu) or leading(el))
        ),
        lambda: near_vertex(el) and near_vertex(mu),
        lambda: np.sum(el["charge"]) == 0 and np.sum(mu["charge"]) == 0,
        lambda: delta_r(mu, 0, mu, 1) >= 0.02 and delta_r(el, 0, el, 1) >= 0.02,
    )
    if failed is not None:
        return failed, None
    p_mu = [four_vector(mu, 0), four_vector(mu, 1)]
    p_el = [four_vector(el, 0), four_vector(el, 1)]
    z_mu, z_el = mass(*p_mu), mass(*p_el)
    z1, z2 = (z_mu, z_el) if abs(z_mu - 91.2) < abs(z_el - 91.2) else (z_el, z_mu)
    m4l = mass(*p_mu, *p_el)
    return z_cuts(as_stored(z1, df103), as_stored(z2, df103), as_stored(m4l, df103))


def z_cuts(z1: float, z2: float, m4l: float):
    """The last two steps; (steps passed, (Z1, Z2, m4l) or None)."""
    if not 40 < z1 < 120:
        return 6, None
    if not 12 < z2 < 120:
        return 7, None
    return 8, (z1, z2, m4l)


@functools.cache
def reference(path: Path, df103: bool) -> dict[str, list]:
    """channel → per event (steps passed, (Z1, Z2, m4l) or None)."""
    out = {c: [] for c in CHANNELS}
    for event in read_leptons(path):
        mu, el = event["Muon"], event["Electron"]
        out["4mu"].append(reference_four(mu, 5, 2.4, df103))
        out["4e"].append(reference_four(el, 7, 2.5, df103))
        out["2e2mu"].append(reference_2e2mu(el, mu, df103))
    return out


# ---------------------------------------------------------------------------- samples


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, Path]:
    """Four-lepton samples in the reduced 2012 layout: H, ZZ and a data-flavoured ZZ + H."""
    directory = tmp_path_factory.mktemp("higgs4l")
    made = {
        "hzz4l": generate("hzz4l", directory / "hzz4l.root", 3000, seed=11, format="outreach"),
        "zz4l": generate("zz4l", directory / "zz4l.root", 6000, seed=12, format="outreach"),
    }
    for process, seed in (("zz4l", 13), ("hzz4l", 14)):
        path = directory / f"data_{process}.root"
        made[f"data_{process}"] = generate(
            process, path, 1500, seed=seed, kind="data", format="outreach"
        )
    return made


def events_of(path: Path):
    file = open_file(str(path))
    return events_from(file, describe(file, str(path)))


def assert_agrees(selections: dict, expected: dict[str, list]) -> None:
    """The columnar selection equals the reference, event by event."""
    for channel in CHANNELS:
        got = selections[channel]
        passed = np.sum([got.cuts[s] for s in STEPS], axis=0)  # cuts are cumulative
        want = np.array([steps for steps, _ in expected[channel]])
        assert np.array_equal(passed, want), (channel, np.flatnonzero(passed != want))
        assert np.array_equal(got.selected, want == len(STEPS)), channel
        values = np.array([v for _, v in expected[channel] if v is not None]).reshape(-1, 3)
        found = np.stack([got.z1_mass, got.z2_mass, got.m4l], axis=1)  # the selected events'
        # the same values up to the order of sums (df103 mode: the same floats)
        np.testing.assert_allclose(found, values, rtol=1e-12)


# ---------------------------------------------------------------------------- selection


def test_best_pair_keeps_df103s_integer_best_mass():
    masses = np.array([[90.9, 91.9, 95.0], [91.9, 91.5, 20.0], [200.0, 190.0, 91.0]])
    opposite = np.array([[True, True, True], [True, True, True], [True, True, False]])
    # the pair truly closest to 91.2 GeV, the first of equals
    assert higgs4l.best_pair(masses, opposite).tolist() == [0, 1, 1]
    # 90.9 is kept as 90 and loses to 91.9; 91.9 is kept as 91 and beats 91.5; no pair
    # below 183.4 GeV replaces the initial -1 (and a same-charge pair never counts)
    assert higgs4l_df103.truncated_best_pair(masses, opposite).tolist() == [1, 0, -1]


@pytest.mark.parametrize("mode", MODES)
def test_selection_agrees_with_reference_event_by_event(samples, mode):
    selected = 0
    for path in samples.values():
        selections = higgs4l.select_channels(events_of(path), conventions=MODES[mode])
        assert_agrees(selections, reference(path, df103=mode == "df103"))
        selected += sum(int(s.selected.sum()) for s in selections.values())
    assert selected > 1000


def test_the_two_modes_differ_where_the_integer_truncation_matters(samples):
    """On these samples df103's truncation takes another pairing in a few 4ℓ events."""
    changed = 0
    for path in samples.values():
        closest = reference(path, df103=False)
        df103 = reference(path, df103=True)
        for channel in ("4mu", "4e"):
            for a, b in zip(closest[channel], df103[channel], strict=True):
                if a[1] is not None and b[1] is not None:
                    changed += not math.isclose(a[1][0], b[1][0], rel_tol=1e-6)
                else:
                    changed += (a[1] is None) != (b[1] is None)
    assert changed > 0


@pytest.mark.parametrize("mode", MODES)
def test_selection_of_real_events(nanoaod, mode):
    """The 20 events of the AOD2NanoAOD outreach tool's example: real 2012 leptons."""
    path = nanoaod(REAL_FILE)
    expected = reference(path, df103=mode == "df103")
    assert_agrees(higgs4l.select_channels(events_of(path), conventions=MODES[mode]), expected)
    # events do reach the lepton-count step, and fail at isolation (-999: not PF leptons)
    assert all(sum(steps >= 1 for steps, _ in expected[c]) > 0 for c in CHANNELS)


@pytest.mark.parametrize("channels", [CHANNELS, ("4e",)])
def test_reads_only_the_lepton_branches_it_uses(samples, tmp_path, channels):
    path = str(samples["zz4l"])
    file, log = open_file(path), []
    events = events_from(file, describe(file, path), access_log=log)
    config = write_config(tmp_path, {"ZZ": {"files": [path], "kind": "data"}})
    output = Output(histograms=book(config.histograms))
    out = Recorder(output, "ZZ", np.ones(len(events)), metadata={"channels": list(channels)})
    higgs4l.HiggsToFourLeptons(config).analyze(events, out)
    # a dataset of 4e only (DoubleElectron) reads no muon but their number
    flavours = ("Muon", "Electron") if "4mu" in channels else ("Electron",)
    isolation = {"Muon": "pfRelIso04_all", "Electron": "pfRelIso03_all"}
    assert {record.branch for record in log} == {
        "nMuon",
        "nElectron",
        *(f"{flavour}_{isolation[flavour]}" for flavour in flavours),
        *(f"{flavour}_{field}" for flavour in flavours for field in BRANCHES),
    }


def test_leptons_answer_per_event():
    """An event without leptons passes every "every lepton" cut; first() takes the first n."""
    pt = ak.Array([[30.0, 8.0, 12.0], [], [6.0, 40.0]])
    leptons = higgs4l.Leptons(ak.zip({"pt": pt}), "pt", pt_min=7, eta_max=2.4)
    assert leptons.count.tolist() == [3, 0, 2]
    assert leptons.how_many(leptons["pt"] > 10).tolist() == [2, 0, 1]
    assert leptons.hard.tolist() == [True, True, False]
    assert leptons.first("pt", 2, np.array([0, 2])).tolist() == [[30.0, 8.0], [6.0, 40.0]]


def test_leading_pair_is_the_two_highest_pt():
    """ "Two above 10 GeV, one above 20" is df103's "the two highest above 20 and 10"."""
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 6, 5000)
    values = rng.choice([5.0, 10.0, 12.0, 20.0, 25.0], counts.sum())  # on the cuts and off
    pt = ak.unflatten(values, counts)
    leptons = higgs4l.Leptons(ak.zip({"pt": pt}), "pt", pt_min=0, eta_max=0)
    ordered = ak.pad_none(ak.sort(pt, axis=1, ascending=False), 2, axis=1)
    expected = ak.fill_none((ordered[:, 0] > 20) & (ordered[:, 1] > 10), False)
    assert leptons.leading_pair.tolist() == expected.tolist()


def test_each_channel_has_its_cutflow(samples, tmp_path):
    """Per channel, the events and Σw passing each cut: as counted by hand from the masks."""
    events = events_of(samples["zz4l"])
    weights = np.random.default_rng(5).uniform(0.5, 1.5, len(events))
    config = write_config(tmp_path, {"ZZ": {"files": [str(samples["zz4l"])], "kind": "data"}})
    output = Output(histograms=book(config.histograms))
    higgs4l.HiggsToFourLeptons(config).analyze(events, Recorder(output, "ZZ", weights))
    enough = higgs4l.enough_leptons(events)
    w = weights[enough]
    for channel, selection in higgs4l.select_channels(events[enough]).items():
        expected = {
            "all events": (len(events), weights.sum()),
            "lepton multiplicity": (enough.sum(), w.sum()),
        }
        expected |= {
            step: (passed.sum(), w[passed].sum()) for step, passed in selection.cuts.items()
        }
        got = output.cutflows[f"ZZ/{channel}"].entries
        assert list(got) == list(expected)
        for step, (n, sumw) in expected.items():
            assert got[step] == (n, pytest.approx(sumw, rel=1e-12)), (channel, step)
    assert list(output.cutflows) == ["ZZ", "ZZ/4mu", "ZZ/4e", "ZZ/2e2mu"]
    assert output.cutflows["ZZ/4mu"].entries["Z2 mass"][0] > 500


def test_channels_of_a_dataset():
    assert higgs4l.fed_channels({}) == CHANNELS
    assert higgs4l.fed_channels({"channels": "4e"}) == ("4e",)
    with pytest.raises(AnalysisError, match=r"unknown channel.*4tau.*4mu, 4e, 2e2mu"):
        higgs4l.fed_channels({"channels": ["4mu", "4tau"]})


# ---------------------------------------------------------------------------- full runs

HISTOGRAMS = yaml.safe_load((ROOT / "configs" / "higgs4l_demo.yaml").read_text())["histograms"]
VARIABLES = {"m4l": 2, "mZ1": 0, "mZ2": 1}  # histogram → index in (Z1, Z2, m4l)


def write_config(directory: Path, datasets: dict, processor: str = "HiggsToFourLeptons"):
    document = {
        "name": "higgs4l_test",
        "processor": f"{ANALYSIS_DF103 if processor.endswith('DF103') else ANALYSIS}:{processor}",
        "luminosity": 11580.0,
        "datasets": datasets,
        "histograms": HISTOGRAMS,
    }
    path = directory / "higgs4l.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return load_config(path)


def expected_histogram(name: str, files: list[Path], channel: str, df103: bool) -> np.ndarray:
    """The reference's selected events filled into the booked axis: counts per bin."""
    spec = HISTOGRAMS[name]["axes"][0]
    h = hist.Hist(hist.axis.Regular(spec["bins"], spec["start"], spec["stop"]))
    for path in files:
        values = [v[VARIABLES[name]] for _, v in reference(path, df103)[channel] if v is not None]
        h.fill(np.array(values, dtype=np.float64))
    return h.values(flow=True)


@pytest.mark.parametrize("processor", ["HiggsToFourLeptons", "HiggsToFourLeptonsDF103"])
def test_run_fills_what_the_reference_selects(samples, tmp_path, processor):
    df103 = processor.endswith("DF103")
    datasets = {
        "H": {"files": [str(samples["hzz4l"])], "kind": "mc", "xsec": 0.0065},
        "ZZ": {"files": [str(samples["zz4l"])], "kind": "mc", "xsec": 0.334, "scale": 1.386},
        "DoubleMu": {
            "files": [str(samples["data_zz4l"]), str(samples["data_hzz4l"])],
            "kind": "data",
            "group": "Data",
            "metadata": {"channels": ["4mu", "2e2mu"]},
        },
    }
    config = write_config(tmp_path, datasets, processor)
    result = run(config, executor="iterative", chunksize=2000, status=False)
    assert result.complete
    files = {name: [Path(f) for f in spec["files"]] for name, spec in datasets.items()}
    for dataset, paths in files.items():
        fed = datasets[dataset].get("metadata", {}).get("channels", CHANNELS)
        per_event = {c: [e for p in paths for e in reference(p, df103)[c]] for c in CHANNELS}
        events = len(per_event["4mu"])
        enough = sum(any(per_event[c][i][0] >= 1 for c in fed) for i in range(events))
        for channel in CHANNELS:
            for name in VARIABLES:
                h = result.raw[name]
                got = h[{"dataset": dataset, "systematic": "nominal", "channel": channel}]
                want = (
                    expected_histogram(name, paths, channel, df103)
                    if channel in fed
                    else np.zeros(got.values(flow=True).shape)
                )
                np.testing.assert_array_equal(got.values(flow=True), want)
            # the channel's cutflow (weights are 1 here): every event, those with enough
            # leptons for a channel the dataset feeds, then those passing each step
            cutflow = result.cutflows.get(f"{dataset}/{channel}")
            if channel not in fed:
                assert cutflow is None
                continue
            counts = [events, enough] + [
                sum(passed >= k for passed, _ in per_event[channel])
                for k in range(1, len(STEPS) + 1)
            ]
            names = ["all events", "lepton multiplicity", *STEPS]
            assert cutflow.as_list() == [
                {"cut": name, "events": n, "sumw": float(n)}
                for name, n in zip(names, counts, strict=True)
            ]
    # the shared cutflow: all events, those with enough leptons, those selected somewhere
    cuts = [c["cut"] for c in result.cutflows["ZZ"].as_list()]
    assert cuts == ["all events", "lepton multiplicity", "in a channel"]


def test_run_on_the_real_file(nanoaod, tmp_path):
    path = nanoaod(REAL_FILE)
    config = write_config(tmp_path, {"H4l": {"files": [str(path)], "kind": "mc", "xsec": 1.0}})
    result = run(config, executor="iterative", status=False)
    assert result.complete and result.events_processed == 20
    cutflow = {c["cut"]: c["events"] for c in result.cutflows["H4l"].as_list()}
    expected = reference(path, df103=False)
    enough = [any(expected[c][i][0] >= 1 for c in CHANNELS) for i in range(20)]
    assert cutflow == {"all events": 20, "lepton multiplicity": sum(enough), "in a channel": 0}


def test_an_unknown_channel_stops_the_run(samples, tmp_path):
    datasets = {
        "D": {
            "files": [str(samples["data_zz4l"])],
            "kind": "data",
            "metadata": {"channels": ["4l"]},
        }
    }
    with pytest.raises(AnalysisError, match="unknown channel"):
        run(write_config(tmp_path, datasets), executor="iterative", status=False)


# ---------------------------------------------------------------------------- the demo


def test_demo_config_end_to_end(tmp_path):
    """configs/higgs4l_demo.yaml with a tenth of its events: every channel filled, H at 125."""
    document = yaml.safe_load((ROOT / "configs" / "higgs4l_demo.yaml").read_text())
    document["processor"] = f"{ANALYSIS}:HiggsToFourLeptons"
    document = {k: v for k, v in document.items() if not k.startswith("x-")}
    for dataset in document["datasets"].values():
        samples = dataset["generate"]
        for sample in samples if isinstance(samples, list) else [samples]:
            sample["events"] = max(sample["events"] // 10, 10)
    path = tmp_path / "higgs4l_demo.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    config = load_config(path)
    assert config.plots["m4l_4e"].select == {"channel": "4e"}

    result = run(config, executor="iterative", status=False)
    assert result.complete
    m4l = result.raw["m4l"]
    for dataset, channels in {
        "DoubleMuParked": ("4mu", "2e2mu"),
        "DoubleElectron": ("4e",),
        "SMHiggsToZZTo4L": CHANNELS,
        "ZZTo4L": CHANNELS,
    }.items():
        for channel in CHANNELS:
            filled = m4l[{"dataset": dataset, "systematic": "nominal", "channel": channel}]
            assert (filled.sum(flow=True).value > 0) == (channel in channels), (dataset, channel)
    signal = m4l[{"dataset": "SMHiggsToZZTo4L", "systematic": "nominal", "channel": sum}]
    centers = signal.axes[0].centers
    assert abs(centers[np.argmax(signal.values())] - 125) < 3.1  # the peak's bin
    assert abs(np.average(centers, weights=signal.values()) - 125) < 2
