"""Throughput of jet corrections (JEC, JER, JES) and type-1 MET: opencoffea against coffea.

Both sides correct the same generated tt̄ events with the same payload (2016postVFP UL,
``Summer19UL16_V7`` JEC and uncertainties, ``Summer20UL16_JRV3`` JER): ours with
:func:`~opencoffea.corrections.jets.correct_jets` and
:func:`~opencoffea.corrections.met.type1_met`, coffea's with its correctionlib-backed
``CorrectionLibJECStack``, ``CorrectedJetsFactory`` and ``CorrectedMETFactory`` in type-1
mode (raw MET, L1 and L1L2L3 factors, ``CorrT1METJet``, JER-smeared "T1Smear" MET, JES
sources re-evaluated for MET), as its documentation builds them. The workloads:

* ``nominal``: JEC + JER + type-1 MET, nominal only (ours alone: coffea's factory always
  builds JER up/down once JER is on, and its MET the unclustered-energy shifts);
* ``jer``: nominal plus JER up/down and the unclustered-energy MET shifts;
* ``total``: that plus JES ``Total`` up/down;
* ``sources``: that with 11 JES sources instead of ``Total``.

Each measurement runs in a fresh process, and the processes of the two sides alternate;
the best of ``--repeat`` of each is kept. A process reads all chunks first and
materialises every branch of the collections used (Jet, GenJet, CorrT1METJet, MET,
RawMET, ρ and the event IDs), then runs once on a small separate slice so payloads are
loaded, and only then starts the clock: the figure is compute, not I/O or start-up. It
checks that nothing was read from the file while the clock ran. What coffea's factories
need and NanoAOD does not give (raw pt and mass, the matched GenJet pt, ρ per jet, zeros
for the v15-only ``muonSubtrDeltaPhi``/``EmEF``) is prepared inside the clock, as an
analysis must; its share is printed. Every output collection is summed (pt of each
variation, jets and MET) so nothing lazy escapes the clock, one after the other and each
let go once summed, as an analysis takes them (ours makes a variation's jets when they are
asked for, coffea's factories make all at once). Peak RSS is the high-water mark of the
timed part (reset just before it) beside the resident size of the inputs; events/s and
jets/s are printed for wall and CPU time, and the machine's load before and after.

``--baseline-src`` measures ours from another checkout's ``src/`` too ("before", in the
same rounds, alternating with the others), and checks that it gives the same sums bit for
bit; ``--workloads`` runs some of the workloads only.

A separate process compares the two on the first chunk: the JEC-only pt (same payload,
to ~1e-6 relative), JES ``Total`` and type-1 MET without JER, and JER qualitatively (the
random numbers differ by design: ours from event and jet IDs, coffea's from a generator
seeded per chunk).

    python benchmarks/corrections_throughput.py --events 1000000
    python benchmarks/corrections_throughput.py --events 200000 --baseline-src ../main/src
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("OPENCOFFEA_TESTDATA", ROOT.parent / "shared" / "data"))
PAYLOAD = TESTDATA / "corrections/jsonpog-integration/POG/JME/2016postVFP_UL/jet_jerc.json.gz"
JEC_TAG, JER_TAG, JET_TYPE = "Summer19UL16_V7", "Summer20UL16_JRV3", "AK4PFchs"
SOURCES = (
    "AbsoluteMPFBias",
    "AbsoluteScale",
    "AbsoluteStat",
    "FlavorQCD",
    "Fragmentation",
    "PileUpDataMC",
    "PileUpPtBB",
    "PileUpPtEC1",
    "PileUpPtRef",
    "RelativeFSR",
    "RelativeJEREC1",
)
# workload → JES sources; all but "nominal" carry JER up/down and unclustered MET
WORKLOADS = {"nominal": (), "jer": (), "total": ("Total",), "sources": SOURCES}
LABELS = {
    "nominal": "nominal",
    "jer": "nominal + JER±",
    "total": "JES Total± + JER±",
    "sources": f"{len(SOURCES)} JES sources± + JER±",
}
COFFEA_WORKLOADS = ("jer", "total", "sources")  # coffea has no nominal without JER±
COLLECTIONS = ("Jet", "GenJet", "CorrT1METJet", "MET", "RawMET")
SCALARS = ("run", "luminosityBlock", "event", "fixedGridRhoFastjetAll")


# ------------------------------------------------------------------------------ the two sides


def ours_corrections(sources=(), *, jer: bool = True):
    from opencoffea.corrections.jets import JetCorrections

    return JetCorrections(
        payload=str(PAYLOAD),
        mc_jec=f"{JEC_TAG}_MC_L1L2L3Res_{JET_TYPE}",
        uncertainty=f"{JEC_TAG}_MC_{{source}}_{JET_TYPE}",
        jer_resolution=f"{JER_TAG}_MC_PtResolution_{JET_TYPE}" if jer else None,
        jer_scale_factor=f"{JER_TAG}_MC_ScaleFactor_{JET_TYPE}" if jer else None,
    )


def ours(events, jme, workload: str, *, jer: bool = True):
    """Our corrected jets and type-1 MET of one chunk, by variation name."""
    from opencoffea.corrections.jets import correct_jets, jet_variations
    from opencoffea.corrections.met import type1_met

    variations = jet_variations(WORKLOADS[workload], jer=jer and workload != "nominal")
    jets = correct_jets(events, jme, is_data=False, variations=variations)
    met = type1_met(events, jets, jme, is_data=False, unclustered=workload != "nominal")
    return jets, met


class Coffea:
    """coffea's correctionlib-backed jet and type-1 MET factories for one workload."""

    def __init__(self, workload: str, *, jer: bool = True) -> None:
        import correctionlib
        from coffea.jetmet_tools import (
            CorrectedJetsFactory,
            CorrectedMETFactory,
            CorrectionLibJEC,
            CorrectionLibJECStack,
        )

        sources = list(WORKLOADS[workload])
        stack = CorrectionLibJECStack.from_file(
            str(PAYLOAD),
            jec_tag=JEC_TAG,
            data_type="MC",
            jet_type=JET_TYPE,
            unc_sources=sources or None,
            jer_tag=JER_TAG if jer else None,
        )
        cset = correctionlib.CorrectionSet.from_file(str(PAYLOAD))
        name_map = stack.blank_name_map
        name_map.update(
            JetPt="pt",
            JetMass="mass",
            JetEta="eta",
            JetPhi="phi",
            JetA="area",
            ptRaw="pt_raw",
            massRaw="mass_raw",
            Rho="event_rho",  # not "rho": coffea's vector behaviour takes that for pt
            ptGenJet="pt_gen",
            METpt="pt",
            METphi="phi",
            UnClusteredEnergyDeltaX="MetUnclustEnUpDeltaX",
            UnClusteredEnergyDeltaY="MetUnclustEnUpDeltaY",
            RawMETpt="pt",
            RawMETphi="phi",
            JetMuonSubtrFactor="muonSubtrFactor",
            JetMuonSubtrDeltaPhi="muonSubtrDeltaPhi",
            JetChEmEF="chEmEF",
            JetNeEmEF="neEmEF",
            CorrT1JetPt="rawPt",
            CorrT1JetPhi="phi",
            CorrT1JetEta="eta",
            CorrT1JetArea="area",
            CorrT1JetMuonSubtrFactor="muonSubtrFactor",
            CorrT1JetMuonSubtrDeltaPhi="muonSubtrDeltaPhi",
            CorrT1JetEmEF="EmEF",
        )
        self.jets = CorrectedJetsFactory(name_map, stack)
        self.met = CorrectedMETFactory(
            name_map,
            jec_L1L2L3=stack.jec,
            jec_L1=CorrectionLibJEC(cset[f"{JEC_TAG}_MC_L1FastJet_{JET_TYPE}"]),
            jes_uncertainties={
                f"JES_{source}": CorrectionLibJEC(cset[f"{JEC_TAG}_MC_{source}_{JET_TYPE}"])
                for source in sources
            },
            is_t1_smeared_met=jer,
        )
        self.prep_seconds = 0.0

    def __call__(self, events):
        """coffea's corrected jets and MET of one chunk (jets in the file's order)."""
        import awkward as ak
        import numpy as np

        start = time.perf_counter()
        rho = events.fixedGridRhoFastjetAll
        jets = events.Jet
        jets["pt_raw"] = (1 - jets.rawFactor) * jets.pt
        jets["mass_raw"] = (1 - jets.rawFactor) * jets.mass
        jets["pt_gen"] = ak.values_astype(ak.fill_none(jets.matched_gen.pt, 0), np.float32)
        jets["event_rho"] = ak.broadcast_arrays(rho, jets.pt)[0]
        jets["muonSubtrDeltaPhi"] = ak.zeros_like(jets.pt)  # NanoAOD v15 on only
        low = events.CorrT1METJet
        low["event_rho"] = ak.broadcast_arrays(rho, low.rawPt)[0]
        low["muonSubtrDeltaPhi"] = ak.zeros_like(low.rawPt)
        low["EmEF"] = ak.zeros_like(low.rawPt)  # taken as 0 before v15, as ours does
        self.prep_seconds += time.perf_counter() - start
        corrected = self.jets.build(jets)
        return corrected, self.met.build(events.MET, corrected, events.RawMET, low)


def touch(side: str, outputs) -> float:
    """Sum the pt of every output collection: nothing computed lazily escapes the clock.

    One collection after the other, each let go once summed, as an analysis takes them
    (the processor runs the user's method on one variation after the other): ours makes a
    variation's jets when they are asked for, coffea's factories all of them at once.
    """
    import awkward as ak

    jets, met = outputs
    if side == "ours":
        arrays = itertools.chain((j.pt for j in jets.values()), (m.pt for m in met.values()))
    else:

        def varied():
            for corrected in (jets, met):
                for field in corrected.fields:
                    if field.startswith(("JER", "JES_", "MET_Unclustered")):
                        yield corrected[field].up.pt
                        yield corrected[field].down.pt

        arrays = itertools.chain((jets.pt, met.pt), varied())
    return float(sum(ak.sum(a) for a in arrays))


# ------------------------------------------------------------------------------ one process


def read_chunks(sample: Path, events: int, chunksize: int, log: list):
    """Lazy events of each chunk, with every branch the corrections use read in."""
    import awkward as ak

    from opencoffea.events import describe, events_from, open_file

    file = open_file(str(sample))
    info = describe(file, str(sample))
    stop = min(events, info.num_entries)
    chunks = []
    for start in range(0, stop, chunksize):
        chunk = events_from(
            file, info, entry_start=start, entry_stop=min(start + chunksize, stop), access_log=log
        )
        for name in COLLECTIONS + SCALARS:
            ak.materialize(chunk[name])
        chunks.append(chunk)
    warm = events_from(file, info, entry_stop=min(2_000, stop))
    return chunks, warm


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _cpu_seconds() -> float:
    """User + system CPU time of this process: less moved than wall time by other load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak() -> bool:
    """Reset the process's RSS high-water mark (Linux), so the peak is the timed part's."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def measure_one(args: argparse.Namespace) -> None:
    """Child process: one timed pass of one side over all chunks, printed as JSON."""
    import awkward as ak

    from opencoffea.corrections.payloads import load_payload

    warnings.filterwarnings("ignore", module="coffea")
    log: list = []
    chunks, warm = read_chunks(args.sample, args.events, args.chunksize, log)
    if args.one == "ours":
        jme = ours_corrections()
        load_payload(jme.payload)

        def correct(events):
            return ours(events, jme, args.workload)
    else:
        correct = Coffea(args.workload)
    touch(args.one, correct(warm))  # payloads loaded, first-call costs paid, off the clock
    if args.one == "coffea":
        correct.prep_seconds = 0.0
    jets = sum(int(ak.sum(ak.num(chunk.Jet, axis=1))) for chunk in chunks)
    low = sum(int(ak.sum(ak.num(chunk.CorrT1METJet, axis=1))) for chunk in chunks)
    read = len(log)
    inputs_kb = _status_kb("VmRSS")
    reset = _reset_peak()

    cpu_start, start = _cpu_seconds(), time.perf_counter()
    checksum = sum(touch(args.one, correct(chunk)) for chunk in chunks)
    seconds = time.perf_counter() - start
    cpu_seconds = _cpu_seconds() - cpu_start

    peak_kb = _status_kb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if len(log) != read:
        raise RuntimeError(f"{len(log) - read} branch reads inside the clock: I/O was timed")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "prep_seconds": getattr(correct, "prep_seconds", 0.0),
                "jets": jets,
                "low_pt_jets": low,
                "events": sum(len(chunk) for chunk in chunks),
                "checksum": checksum,
                "inputs_kb": inputs_kb,
                "peak_kb": peak_kb,
                "peak_is_timed_part": reset,
            }
        )
    )


# ------------------------------------------------------------------------------ agreement


def _flat(array):
    import awkward as ak
    import numpy as np

    return np.asarray(ak.to_numpy(ak.flatten(array, axis=1)), dtype=np.float64)


def _in_file_order(jets):
    import awkward as ak

    return jets[ak.argsort(jets.stored_index, axis=1)]


def _max_rel(a, b) -> float:
    import numpy as np

    return float(np.max(np.abs(a / b - 1.0))) if len(a) else 0.0


def check(args: argparse.Namespace) -> None:
    """Child process: the two sides compared on the first chunk, printed as JSON."""
    import awkward as ak
    import numpy as np

    warnings.filterwarnings("ignore", module="coffea")
    (chunk, *_), _ = read_chunks(args.sample, min(args.events, args.chunksize), args.chunksize, [])
    out: dict = {"jets": int(ak.sum(ak.num(chunk.Jet, axis=1)))}

    # JEC only (no JER): jet pt, JES Total and type-1 MET must agree, same payload
    our_jets, our_met = ours(chunk, ours_corrections(jer=False), "total", jer=False)
    their_jets, their_met = Coffea("total", jer=False)(chunk)
    mine = _in_file_order(our_jets["nominal"])
    out["jec_max_rel"] = _max_rel(_flat(mine.pt_jec), _flat(their_jets.pt_jec))
    out["jec_pt_max_rel"] = _max_rel(_flat(mine.pt), _flat(their_jets.pt))
    up = _in_file_order(our_jets["jesTotalUp"])
    out["jes_total_up_max_rel"] = _max_rel(_flat(up.pt), _flat(their_jets.JES_Total.up.pt))
    met_ours = ak.to_numpy(our_met["nominal"].pt)
    met_theirs = ak.to_numpy(their_met.pt)
    out["met_jec_max_abs"] = float(np.max(np.abs(met_ours - met_theirs)))
    out["met_jec_mean"] = [float(met_ours.mean()), float(met_theirs.mean())]
    met_up = ak.to_numpy(our_met["jesTotalUp"].pt) - ak.to_numpy(their_met.JES_Total.up.pt)
    out["met_jes_total_up_max_abs"] = float(np.max(np.abs(met_up)))
    out["met_jes_total_up_within_10MeV"] = float(np.mean(np.abs(met_up) < 0.01))
    # coffea shifts a jet's muon part without its JEC (CMSJMECalculators); ours the whole jet
    with_muon = ak.to_numpy(
        ak.any(chunk.Jet.muonSubtrFactor > 0, axis=1)
        | ak.any(chunk.CorrT1METJet.muonSubtrFactor > 0, axis=1)
    )
    out["met_jes_total_up_max_abs_no_muon_jet"] = float(np.max(np.abs(met_up[~with_muon])))

    # with JER: the JEC part still agrees; smearing agrees where both scale to the GenJet
    our_jets, our_met = ours(chunk, ours_corrections(), "jer")
    their_jets, their_met = Coffea("jer")(chunk)
    mine = _in_file_order(our_jets["nominal"])
    out["jec_with_jer_max_rel"] = _max_rel(_flat(mine.pt_jec), _flat(their_jets.pt_jec))
    smear_ours = _flat(mine.pt) / _flat(mine.pt_jec)
    smear_theirs = _flat(their_jets.pt) / _flat(their_jets.pt_jec)
    # matched as the hybrid method has it: a GenJet link and |pt − pt_gen| < 3σ·pt
    pt_jec, pt_gen = _flat(their_jets.pt_jec), _flat(their_jets.pt_gen)
    sigma = _flat(their_jets.jet_energy_resolution)
    linked = _flat(chunk.Jet.genJetIdx) >= 0
    matched = linked & (np.abs(pt_jec - pt_gen) < 3 * sigma * pt_jec)
    same = np.abs(smear_ours - smear_theirs) < 1e-6
    out["jer_linked_share"] = float(linked.mean())
    out["jer_matched_share"] = float(matched.mean())
    out["jer_same_matched"] = float(same[matched].mean())
    out["jer_same_unmatched"] = float(same[~matched].mean())
    for side, smear in (("ours", smear_ours), ("coffea", smear_theirs)):
        out[f"jer_unmatched_{side}"] = [
            float(smear[~matched].mean()),
            float(smear[~matched].std()),
        ]
        out[f"jer_matched_{side}"] = [float(smear[matched].mean()), float(smear[matched].std())]
    out["jer_unmatched_correlation"] = float(
        np.corrcoef(smear_ours[~matched], smear_theirs[~matched])[0, 1]
    )
    met_ours = ak.to_numpy(our_met["nominal"].pt)
    met_theirs = ak.to_numpy(their_met.pt)
    out["met_jer_mean"] = [float(met_ours.mean()), float(met_theirs.mean())]
    out["met_jer_rms_diff"] = float(np.sqrt(np.mean((met_ours - met_theirs) ** 2)))
    print(json.dumps(out))


# ------------------------------------------------------------------------------ driver


def _child(args: argparse.Namespace, sample: Path, side: str, workload: str = "") -> dict:
    """One measurement in a fresh process; side "before" is ours from ``--baseline-src``."""
    env = dict(os.environ)
    if side == "before":
        env["PYTHONPATH"] = os.pathsep.join(
            [str(args.baseline_src.resolve()), *filter(None, [env.get("PYTHONPATH")])]
        )
    command = [
        sys.executable,
        __file__,
        "--one",
        "ours" if side == "before" else side,
        "--workload",
        workload or "nominal",
        "--sample",
        str(sample),
        "--events",
        str(args.events),
        "--chunksize",
        str(args.chunksize),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"{side} {workload} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _report_agreement(c: dict) -> None:
    print(f"\nagreement on the first chunk ({c['jets']:,} jets):")
    ok = "ok" if c["jec_max_rel"] < 1e-6 else "FAILS the 1e-6 target"
    print(f"  JEC pt (before JER), max |rel diff|      {c['jec_max_rel']:.1e}  {ok}")
    print(f"  the same with the JER stacks             {c['jec_with_jer_max_rel']:.1e}")
    print(f"  JES Total up pt (no JER), max |rel diff| {c['jes_total_up_max_rel']:.1e}")
    print(
        f"  type-1 MET (no JER), max |diff|          {c['met_jec_max_abs'] * 1e3:.2f} MeV "
        f"(means {c['met_jec_mean'][0]:.3f} / {c['met_jec_mean'][1]:.3f} GeV)"
    )
    print(
        f"  type-1 MET JES Total up (no JER)         max |diff| "
        f"{c['met_jes_total_up_max_abs']:.3f} GeV, "
        f"{c['met_jes_total_up_within_10MeV']:.2%} of events within 10 MeV;"
    )
    print(
        f"    {c['met_jes_total_up_max_abs_no_muon_jet'] * 1e3:.2f} MeV at most in events "
        "without a jet holding a muon (coffea shifts a jet's muon part without its JEC)"
    )
    print(
        f"  JER: {c['jer_linked_share']:.1%} of jets have a GenJet link, "
        f"{c['jer_matched_share']:.1%} pass the 3σ match (scaled to the GenJet): identical "
        f"smearing for {c['jer_same_matched']:.2%} of these, {c['jer_same_unmatched']:.2%} "
        "of the rest (stochastic)"
    )
    for kind in ("matched", "unmatched"):
        o, t = c[f"jer_{kind}_ours"], c[f"jer_{kind}_coffea"]
        print(
            f"    pt/pt_jec of {kind:9s} jets: ours {o[0]:.4f} ± {o[1]:.4f}, "
            f"coffea {t[0]:.4f} ± {t[1]:.4f}"
        )
    print(
        f"    correlation of the stochastic factors: {c['jer_unmatched_correlation']:+.3f} "
        "(independent random numbers, as expected)"
    )
    print(
        f"  type-1 MET with JER: means {c['met_jer_mean'][0]:.3f} / "
        f"{c['met_jer_mean'][1]:.3f} GeV, rms of the per-event difference "
        f"{c['met_jer_rms_diff']:.3f} GeV"
    )


def _report_speed(runs: dict, plan: list, repeat: int) -> None:
    """Best wall and CPU time and the peak of each measurement, ratios, cost of variations."""
    wall = {key: min(r["seconds"] for r in rs) for key, rs in runs.items()}
    cpu = {key: min(r["cpu_seconds"] for r in rs) for key, rs in runs.items()}
    peak = {key: min(r["peak_kb"] for r in rs) / 1024 for key, rs in runs.items()}
    spread = {key: max(r["seconds"] for r in rs) / wall[key] - 1 for key, rs in runs.items()}
    first = runs[plan[0]][0]
    jets, events = first["jets"], first["events"]
    print(
        f"{events:,} events, {jets:,} jets ({jets / events:.2f}/event) and "
        f"{first['low_pt_jets']:,} CorrT1METJet; best of {repeat}, one core, I/O excluded\n"
    )
    print(
        f"{'':8s}{'workload':24s}{'events/s':>10s}{'jets/s':>11s}{'wall s':>8s}{'spread':>8s}"
        f"{'CPU s':>7s}{'events/CPU-s':>13s}{'peak RSS':>10s}{'inputs':>9s}"
    )
    for key in plan:
        r = min(runs[key], key=lambda r: r["seconds"])
        note = ""
        if key[0] == "coffea":
            note = f"  (input prep {r['prep_seconds']:.2f} s)"
            if key[1] == "jer":
                note += " ← coffea's nominal: JER± always built"
        print(
            f"{key[0]:8s}{LABELS[key[1]]:24s}{events / wall[key]:>10,.0f}{jets / wall[key]:>11,.0f}"
            f"{wall[key]:>8.2f}{spread[key]:>+8.0%}{cpu[key]:>7.2f}{events / cpu[key]:>13,.0f}"
            f"{peak[key]:>6.0f} MiB{r['inputs_kb'] / 1024:>5.0f} MiB{note}"
        )
    if not first["peak_is_timed_part"]:
        print("(peak RSS is the whole process's: the high-water mark could not be reset)")

    def ratios(title: str, pairs: list) -> None:
        pairs = [(a, b, label) for a, b, label in pairs if a in wall and b in wall]
        if not pairs:
            return
        print(f"\n{title:50s}  wall    CPU   peak RSS")
        for a, b, label in pairs:
            print(
                f"  {label:50s}{wall[b] / wall[a]:5.2f}×{cpu[b] / cpu[a]:6.2f}×"
                f"{peak[a] / peak[b]:8.2f}×"
            )

    ratios(
        "ours over coffea: speed (> 1 faster), peak (< 1 smaller)",
        [(("ours", w), ("coffea", w), LABELS[w]) for w in COFFEA_WORKLOADS]
        + [(("ours", "nominal"), ("coffea", "jer"), "ours nominal / coffea's")],
    )
    ratios(
        "ours over before (--baseline-src), the same way",
        [(("ours", w), ("before", w), LABELS[w]) for w in WORKLOADS],
    )

    if not all(("ours", w) in wall for w in ("nominal", "jer", "total", "sources")):
        return
    print(f"\ncost of {LABELS['sources']} over the nominal (time ratio)      wall    CPU")
    sides = [("ours", "nominal"), ("ours", "jer")]
    sides += [("coffea", "jer")] if ("coffea", "sources") in wall else []
    for side, base in sides:
        label = f"{side} over {LABELS[base]}"
        print(
            f"  {label:50s}{wall[side, 'sources'] / wall[side, base]:5.2f}×"
            f"{cpu[side, 'sources'] / cpu[side, base]:6.2f}×"
        )
    for side in ("ours", "coffea"):
        if (side, "total") not in cpu:
            continue
        extra = (cpu[side, "sources"] - cpu[side, "total"]) / (len(SOURCES) - 1)
        print(
            f"  {side:6s} CPU per further JES source (up and down): "
            f"{extra / (events / 1e6):.2f} s per 1M events"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chunksize", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--sample", type=Path)
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--baseline-src", type=Path, help="src/ of another checkout to compare")
    parser.add_argument("--one", choices=["ours", "coffea", "check"], help=argparse.SUPPRESS)
    parser.add_argument("--workload", choices=list(WORKLOADS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one == "check":
        check(args)
        return
    if args.one:
        measure_one(args)
        return
    if not PAYLOAD.is_file():
        sys.exit(f"no payload {PAYLOAD}: set OPENCOFFEA_TESTDATA to the shared data directory")

    from opencoffea.config import GeneratedSample
    from opencoffea.datasets.fileset import generated_files

    sample = (
        args.sample
        or generated_files(
            GeneratedSample(process="ttbar", events=args.events, seed=args.seed), "mc"
        )[0]
    )
    load_before = os.getloadavg()
    print(f"sample: {sample} ({args.events:,} tt̄ events, LZMA), chunks of {args.chunksize:,}")
    print(f"payload: {PAYLOAD} ({JEC_TAG} JEC, {JER_TAG} JER, {JET_TYPE})", flush=True)

    ours = ["ours", "before"] if args.baseline_src else ["ours"]
    workloads = [w for w in WORKLOADS if w in args.workloads]
    plan = [(side, w) for side in ours for w in workloads]
    plan += [("coffea", w) for w in COFFEA_WORKLOADS if w in workloads]
    runs: dict[tuple[str, str], list[dict]] = {key: [] for key in plan}
    # Interleaved: each round runs every measurement once, the sides alternating, so a slow
    # spell of the machine hits all alike; the best of each is kept.
    order = [key for w in workloads for key in plan if key[1] == w]
    for round_ in range(args.repeat):
        for key in order if round_ % 2 == 0 else order[::-1]:
            runs[key].append(_child(args, sample, *key))
            r = runs[key][-1]
            print(
                f"  round {round_ + 1}: {key[0]:6s} {key[1]:8s} {r['seconds']:7.2f} s "
                f"{r['peak_kb'] / 1024:6.0f} MiB",
                file=sys.stderr,
            )
    for key, rs in runs.items():  # every pass of a measurement computes the same numbers
        sums = {round(r["checksum"], 3) for r in rs}
        assert len(sums) == 1, (key, sums)
    for w in workloads:  # and ours before and after the same bits
        if ("before", w) in runs:
            assert runs["ours", w][0]["checksum"] == runs["before", w][0]["checksum"], w
    _report_speed(runs, plan, args.repeat)
    _report_agreement(_child(args, sample, "check"))
    load_after = os.getloadavg()
    print(f"\nmachine load (1/5/15 min): before {_load(load_before)}, after {_load(load_after)}")


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


if __name__ == "__main__":
    main()
