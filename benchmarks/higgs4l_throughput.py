"""Throughput of the shipped H → ZZ → 4ℓ analysis against uproot alone, by hand, and coffea.

Four ways through the same generated sample of the reduced 2012 NanoAOD (LZMA, as the open
data), on one core, chunks of ``--chunksize`` events:

``floor``
    uproot reading exactly the branches the framework reads for the analysis (learnt from
    its access log on a few events first), and nothing else: no analysis can beat it.
``hand-written``
    uproot + awkward + vector: df103's selection written by hand (:func:`df103`), filling
    the same three histograms.
``coffea``
    coffea's ``processor.Runner`` with the ``IterativeExecutor`` and a ``ProcessorABC``
    running the same hand-written selection on coffea's NanoEvents.
``opencoffea``
    :func:`opencoffea.run` of the processor and histograms of ``configs/higgs4l_2012.yaml``
    (``analyses/higgs4l.py``), iterative: cutflows and all.

The sample is ``opencoffea.generate("zz4l", …)`` and ``generate("hzz4l", …)``, half of
``--events`` each, written once into the cache (``OPENCOFFEA_CACHE``, by default
``~/.cache/opencoffea``). Each measurement runs in a fresh process (imports before the clock
starts: the figure is throughput, not start-up); the four alternate, so a busy spell of the
machine hits them alike, and the best of ``--repeat`` of each is kept. The histograms of the
last three must agree bin for bin, or the script fails. Printed: events/s and the ratio to
the floor, by wall-clock time and by CPU time (other work on a shared machine slows all four,
the CPU ratios least), the peak RSS of each process, and the machine's load as each began.

    python benchmarks/higgs4l_throughput.py                     # 400k events, a few minutes
    python benchmarks/higgs4l_throughput.py --events 1000000    # the issue's figure
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "higgs4l_2012.yaml"
TREE = "aod2nanoaod/Events"
CHANNELS = ("4mu", "4e", "2e2mu")
CONTESTANTS = ("floor", "hand-written", "coffea", "opencoffea")
Z_MASS = 91.2


# ------------------------------------------------------------------------ the selection by hand


def df103(muons: Any, electrons: Any) -> dict[str, tuple[Any, Any, Any]]:
    """channel → (Z1, Z2, m4ℓ) of its selected events: df103's selection, written by hand.

    ``muons`` and ``electrons`` are awkward records with the branches' fields (from uproot,
    or coffea's collections). The cuts of ``analyses/higgs4l.py``'s docstring, with the Z
    pair truly closest to 91.2 GeV and four-momenta in double precision, as its processor
    ``HiggsToFourLeptons``: the same events, the same masses. Only the histograms count
    here, so each channel keeps the events it needs at once (no cutflow).
    """
    import numpy as np

    # 0/0 in sip3d (no track errors) is NaN and fails "sip3d < 4", as in C++
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "4mu": _four_leptons(muons, muons.pfRelIso04_all, 5, 2.4),
            "4e": _four_leptons(electrons, electrons.pfRelIso03_all, 7, 2.5),
            "2e2mu": _two_pairs(electrons, muons),
        }


def _good_tracks(lep: Any) -> Any:
    import awkward as ak
    import numpy as np

    ip3d = np.sqrt(lep.dxy * lep.dxy + lep.dz * lep.dz)
    sip3d = ip3d / np.sqrt(lep.dxyErr * lep.dxyErr + lep.dzErr * lep.dzErr)
    return ak.all((sip3d < 4) & (abs(lep.dxy) < 0.5) & (abs(lep.dz) < 1.0), axis=1)


def _momenta(lep: Any) -> Any:
    import awkward as ak
    import numpy as np

    fields = {f: ak.values_astype(lep[f], np.float64) for f in ("pt", "eta", "phi", "mass")}
    return ak.zip(fields, with_name="Momentum4D")


def _four_leptons(lep: Any, iso: Any, pt_min: float, eta_max: float) -> tuple[Any, Any, Any]:
    import awkward as ak
    import numpy as np

    # every lepton is cut on and exactly four must be left: so exactly four from the start
    four = ak.num(lep.pt) == 4
    lep, iso = lep[four], iso[four]
    good = (
        ak.all(abs(iso) < 0.40, axis=1)
        & ak.all(lep.pt > pt_min, axis=1)
        & ak.all(abs(lep.eta) < eta_max, axis=1)
        & _good_tracks(lep)
        & (ak.sum(lep.charge == 1, axis=1) == 2)
        & (ak.sum(lep.charge == -1, axis=1) == 2)
    )
    lep = lep[good]
    p = _momenta(lep)
    a, b = ak.unzip(ak.combinations(p, 2))  # pairs 01, 02, 03, 12, 13, 23: k and 5 - k
    qa, qb = ak.unzip(ak.combinations(lep.charge, 2))  # share no lepton
    masses = ak.to_numpy((a + b).mass)
    separations = ak.to_numpy(a.deltaR(b))
    distance = np.where(ak.to_numpy(qa != qb), np.abs(Z_MASS - masses), np.inf)
    best = np.argmin(distance, axis=1)[:, None]  # the first of equals
    pairs = np.concatenate([best, 5 - best], axis=1)
    separated = np.all(np.take_along_axis(separations, pairs, axis=1) >= 0.02, axis=1)
    z_a, z_b = np.take_along_axis(masses, pairs, axis=1).T
    first = np.abs(z_a - Z_MASS) < np.abs(z_b - Z_MASS)
    z1, z2 = np.where(first, z_a, z_b), np.where(first, z_b, z_a)
    m4l = ak.to_numpy((p[:, 0] + p[:, 1] + p[:, 2] + p[:, 3]).mass)
    keep = separated & (z1 > 40) & (z1 < 120) & (z2 > 12) & (z2 < 120)
    return z1[keep], z2[keep], m4l[keep]


def _two_pairs(el: Any, mu: Any) -> tuple[Any, Any, Any]:
    import awkward as ak
    import numpy as np

    def leading(lep: Any) -> Any:
        pt = ak.sort(lep.pt, axis=1, ascending=False)
        return (pt[:, 0] > 20) & (pt[:, 1] > 10)

    enough = (ak.num(el.pt) >= 2) & (ak.num(mu.pt) >= 2)
    el, mu = el[enough], mu[enough]
    good = (
        ak.all(abs(el.pfRelIso03_all) < 0.40, axis=1)
        & ak.all(abs(mu.pfRelIso04_all) < 0.40, axis=1)
        & ak.all(abs(el.eta) < 2.5, axis=1)
        & ak.all(abs(mu.eta) < 2.4, axis=1)
        & (leading(mu) | leading(el))
        & _good_tracks(el)
        & _good_tracks(mu)
        & (ak.sum(el.charge, axis=1) == 0)
        & (ak.sum(mu.charge, axis=1) == 0)
    )
    m, e = _momenta(mu[good][:, :2]), _momenta(el[good][:, :2])
    separated = ak.to_numpy((m[:, 0].deltaR(m[:, 1]) >= 0.02) & (e[:, 0].deltaR(e[:, 1]) >= 0.02))
    z_mu, z_el = ak.to_numpy((m[:, 0] + m[:, 1]).mass), ak.to_numpy((e[:, 0] + e[:, 1]).mass)
    m4l = ak.to_numpy((m[:, 0] + m[:, 1] + e[:, 0] + e[:, 1]).mass)
    muons_first = np.abs(z_mu - Z_MASS) < np.abs(z_el - Z_MASS)
    z1, z2 = np.where(muons_first, z_mu, z_el), np.where(muons_first, z_el, z_mu)
    keep = separated & (z1 > 40) & (z1 < 120) & (z2 > 12) & (z2 < 120)
    return z1[keep], z2[keep], m4l[keep]


def book() -> dict[str, Any]:
    """The histograms of the shipped config (their first axis), with a channel axis."""
    import hist
    import yaml

    specs = yaml.safe_load(CONFIG.read_text())["histograms"]
    booked: dict[str, Any] = {}
    for name, spec in specs.items():
        axis = spec["axes"][0]
        booked[name] = hist.Hist(
            hist.axis.Regular(axis["bins"], axis["start"], axis["stop"], name=axis["name"]),
            hist.axis.StrCategory(list(CHANNELS), name="channel"),
        )
    return booked


def fill(histograms: dict[str, Any], selected: dict[str, tuple[Any, Any, Any]]) -> None:
    """Fill :func:`book`'s histograms with :func:`df103`'s masses."""
    for channel, (z1, z2, m4l) in selected.items():
        histograms["m4l"].fill(m4l=m4l, channel=channel)
        histograms["mZ1"].fill(mZ1=z1, channel=channel)
        histograms["mZ2"].fill(mZ2=z2, channel=channel)


def counts(histograms: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """histogram → channel → the counts of every bin (flow bins too), to compare."""
    return {
        name: {c: h[{"channel": c}].values(flow=True).tolist() for c in CHANNELS}
        for name, h in histograms.items()
    }


# ------------------------------------------------------------------------ the four contestants


def floor(files: list[str], branches: list[str], chunksize: int) -> None:
    """uproot reading ``branches``, chunk by chunk, into awkward arrays: nothing else."""
    import uproot

    for _ in uproot.iterate([f"{f}:{TREE}" for f in files], branches, step_size=chunksize):
        pass


def hand_written(files: list[str], branches: list[str], chunksize: int) -> dict:
    """:func:`df103` on the arrays uproot reads, as the floor reads them."""
    import awkward as ak
    import uproot
    import vector

    vector.register_awkward()
    histograms = book()
    for arrays in uproot.iterate([f"{f}:{TREE}" for f in files], branches, step_size=chunksize):
        flavours = {}
        for flavour in ("Muon", "Electron"):
            prefix = f"{flavour}_"
            fields = [b for b in arrays.fields if b.startswith(prefix)]
            flavours[flavour] = ak.zip({f[len(prefix) :]: arrays[f] for f in fields})
        fill(histograms, df103(flavours["Muon"], flavours["Electron"]))
    return counts(histograms)


def coffea_runner(files: list[str], chunksize: int) -> dict:
    """:func:`df103` in a coffea ``ProcessorABC``, run by coffea's ``Runner``, iterative."""
    import warnings

    import vector
    from coffea import processor
    from coffea.nanoevents import NanoAODSchema

    vector.register_awkward()

    class HiggsToFourLeptons(processor.ProcessorABC):
        def process(self, events: Any) -> dict:
            histograms = book()
            fill(histograms, df103(events.Muon, events.Electron))
            return histograms

        def postprocess(self, accumulator: dict) -> dict:
            return accumulator

    runner = processor.Runner(
        executor=processor.IterativeExecutor(), schema=NanoAODSchema, chunksize=chunksize
    )
    with warnings.catch_warnings():  # the reduced format lacks links NanoAOD has
        warnings.simplefilter("ignore")
        histograms = runner({"H4l": files}, HiggsToFourLeptons(), treename=TREE)
    return counts(histograms)


def shipped_config(files: list[str], directory: str) -> Any:
    """The shipped config's processor and histograms, on ``files`` as one dataset."""
    import yaml

    from opencoffea import load_config

    document = yaml.safe_load(CONFIG.read_text())
    document = {k: v for k, v in document.items() if not k.startswith("x-")}
    document["processor"] = str(CONFIG.parent / document["processor"])
    # one simulated dataset: raw histograms count events, and nothing else is read
    document["datasets"] = {"H4l": {"files": files, "kind": "mc", "xsec": 1.0}}
    for section in ("plots", "normalisation", "inference", "hepdata"):  # they name its groups
        document.pop(section, None)
    path = Path(directory) / "higgs4l.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return load_config(path)


def opencoffea_run(files: list[str], chunksize: int) -> dict:
    """The shipped analysis run by :func:`opencoffea.run`, iterative; its raw histograms."""
    from opencoffea import run

    with tempfile.TemporaryDirectory() as tmp:
        config = shipped_config(files, tmp)
        result = run(config, executor="iterative", chunksize=chunksize, status=False)
    assert result.complete
    return {
        name: {
            c: h[{"dataset": "H4l", "systematic": "nominal", "channel": c}]
            .values(flow=True)
            .tolist()
            for c in CHANNELS
        }
        for name, h in result.raw.items()
    }


def branches_read(files: list[str]) -> list[str]:
    """The branches the framework reads for the shipped analysis (its access log, 2000 events)."""
    import warnings

    from opencoffea.events import describe, events_from, open_file
    from opencoffea.processor import load_processor

    with tempfile.TemporaryDirectory() as tmp:
        config = shipped_config(files, tmp)
    processor = load_processor(config)(config)
    log: list[Any] = []
    with open_file(files[0]) as file, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        events = events_from(
            file,
            describe(file, files[0]),
            entry_stop=2000,
            metadata={"dataset": "H4l"},
            access_log=log,
        )
        processor.process(events)
    return sorted({record.branch for record in log})


# ------------------------------------------------------------------------ measuring


def peak_rss_kb() -> int:
    """This process's peak resident memory, in kB (Linux).

    From /proc (VmHWM), which starts afresh with the program: ``ru_maxrss`` would carry the
    peak of the parent that started it, and the parent may have generated samples.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status: the peak memory is measured on Linux")


def measure_one(args: argparse.Namespace) -> None:
    """Child process: one timed measurement, printed as JSON."""
    import awkward  # noqa: F401
    import hist  # noqa: F401
    import uproot  # noqa: F401
    import vector  # noqa: F401

    if args.one == "coffea":
        import coffea.nanoevents
        import coffea.processor  # noqa: F401
    if args.one == "opencoffea":  # its modules, however lazily the package loads them
        import opencoffea.config
        import opencoffea.events
        import opencoffea.execution
        import opencoffea.processor  # noqa: F401
    files, branches = args.files.split(os.pathsep), args.branches.split(",")
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    histograms = None
    if args.one == "floor":
        floor(files, branches, args.chunksize)
    elif args.one == "hand-written":
        histograms = hand_written(files, branches, args.chunksize)
    elif args.one == "coffea":
        histograms = coffea_runner(files, args.chunksize)
    else:
        histograms = opencoffea_run(files, args.chunksize)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = {"seconds": seconds, "cpu": cpu, "rss_kb": peak_rss_kb(), "load": load}
    print(json.dumps({**result, "hist": histograms}))


def report(runs: dict[str, list[dict]], events: int) -> None:
    """The table: best of the runs of each, by wall-clock time and by CPU time."""
    wall = {which: min(r["seconds"] for r in rs) for which, rs in runs.items()}
    cpu = {which: min(r["cpu"] for r in rs) for which, rs in runs.items()}
    print(
        f"{'':14s} {'events/s':>10s} {'vs floor':>9s} {'CPU s':>7s} {'vs floor':>9s} "
        f"{'peak RSS':>9s}  load"
    )
    for which, rs in runs.items():
        loads, rss = [r["load"] for r in rs], max(r["rss_kb"] for r in rs) / 1024
        print(
            f"{which:14s} {events / wall[which]:>10,.0f} {wall['floor'] / wall[which]:>9.2f} "
            f"{cpu[which]:>7.2f} {cpu['floor'] / cpu[which]:>9.2f} {rss:>5.0f} MiB  "
            f"{min(loads):.1f}-{max(loads):.1f}"
        )
    print(
        "events/s and the first ratio by wall-clock time, the second by CPU time (steadier "
        "when other work shares the machine); load: the 1-minute load average as each began"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400_000, help="zz4l + hzz4l, half each")
    parser.add_argument("--chunksize", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", choices=CONTESTANTS, help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    parser.add_argument("--branches", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure_one(args)
        return

    from opencoffea.config import GeneratedSample
    from opencoffea.datasets.fileset import generated_files

    half = args.events // 2
    files = [
        str(path)
        for process, seed, events in (("zz4l", 1, args.events - half), ("hzz4l", 2, half))
        for path in generated_files(
            GeneratedSample(process=process, events=events, seed=seed, format="outreach"), "mc"
        )
    ]
    branches = branches_read(files)
    print(f"sample: {', '.join(files)}")
    print(f"{args.events:,} events, LZMA; chunks of {args.chunksize:,}; one core each")
    print(f"the framework reads {len(branches)} branches: {' '.join(branches)}")

    def once(which: str) -> dict:
        command = [sys.executable, __file__, "--one", which, "--chunksize", str(args.chunksize)]
        command += ["--files", os.pathsep.join(files), "--branches", ",".join(branches)]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    # Interleaved, so that a busy spell of the machine hits all four alike
    runs: dict[str, list[dict]] = {which: [] for which in CONTESTANTS}
    for _ in range(args.repeat):
        for which in CONTESTANTS:
            runs[which].append(once(which))
    filled = {which: [r["hist"] for r in runs[which]] for which in CONTESTANTS[1:]}
    if any(h != filled["hand-written"][0] for hs in filled.values() for h in hs):
        raise SystemExit("the hand-written loop, coffea and opencoffea fill different histograms")
    m4l = filled["opencoffea"][0]["m4l"]
    selected = ", ".join(f"{c} {sum(m4l[c]):,.0f}" for c in CHANNELS)
    print(f"selected ({selected}): the same histograms, bin for bin, in all three")
    report(runs, args.events)


if __name__ == "__main__":
    main()
