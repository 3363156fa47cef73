"""Scaling of ``opencoffea run`` over executors and workers: the shipped H → 4ℓ analysis.

One generated sample of the reduced 2012 NanoAOD (``aod2nanoaod/Events``, LZMA), the
selection of ``analyses/higgs4l.py`` with the three histograms of the demo, run with the
iterative executor, the futures executor with 1 and 2 workers and dask (a LocalCluster on
127.0.0.1) with 1 and 2 workers. Each run is a fresh process (imports done before the
clock); the configurations alternate, round after round, so a slow spell of the shared
machine hits them alike, and the best round of each is kept.

Two figures a run: *processing*, the seconds the run records for reading and processing
(``result.execution.seconds``: pre-pass and event loop), and *set-up*, the rest of the
run's wall time (the processor, the sources, and for futures and dask starting the workers
and importing the framework in them). Events/s are events over processing; the cluster's
start-up is dask's set-up beside the iterative one. Histograms must be bit-identical for
every configuration, and the driver's ``os.environ`` the same after a run as before.

    python benchmarks/scaling.py                     # 1,200,000 events, chunks of 200,000
    python benchmarks/scaling.py --events 4000000 --rounds 5

The default is six equal chunks so that two workers can share them evenly (five chunks on
two workers cannot go faster than 5/3); the bound is printed beside the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIGURATIONS = [("iterative", 1), ("futures", 1), ("futures", 2), ("dask", 1), ("dask", 2)]
TARGETS = {  # (executor, workers) over (executor, workers): the targets
    (("dask", 2), ("dask", 1)): 1.8,
    (("dask", 2), ("iterative", 1)): 1.7,
    (("dask", 1), ("iterative", 1)): 0.95,
    (("futures", 2), ("futures", 1)): 1.8,
    (("futures", 2), ("iterative", 1)): 1.7,
    (("futures", 1), ("iterative", 1)): 0.95,
}


def write_config(directory: Path, sample: Path) -> Path:
    """The H → 4ℓ analysis of the demo on one simulated sample."""
    import yaml

    demo = yaml.safe_load((ROOT / "configs" / "higgs4l_demo.yaml").read_text())
    path = directory / "scaling.yaml"
    document = {
        "name": "scaling",
        "processor": f"{ROOT}/analyses/higgs4l.py:HiggsToFourLeptons",
        "luminosity": demo["luminosity"],
        "datasets": {"ZZTo4L": {"files": [str(sample)], "kind": "mc", "xsec": 0.334}},
        "histograms": demo["histograms"],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def digest(histograms: dict[str, Any]) -> str:
    """A checksum of every bin (values and variances), whatever the order of categories."""
    sha = hashlib.sha256()
    for name in sorted(histograms):
        h = histograms[name]
        for dataset in sorted(h.axes["dataset"]):
            for systematic in sorted(h.axes["systematic"]):
                view = h[{"dataset": dataset, "systematic": systematic}]
                sha.update(view.values(flow=True).tobytes())
                sha.update(view.variances(flow=True).tobytes())
    return sha.hexdigest()[:16]


def measure_one(args: argparse.Namespace) -> None:
    """Child process: one run of one configuration, printed as JSON."""
    from peak_memory import PeakMemory

    from opencoffea import load_config, run  # loaded before the clock: start-up is not scaling

    environment = dict(os.environ)
    config = load_config(args.config)
    with PeakMemory() as peak:
        start = time.perf_counter()
        result = run(
            config,
            executor=args.executor,
            workers=args.workers,
            chunksize=args.chunksize,
            status=False,
        )
        wall = time.perf_counter() - start
    assert result.complete
    print(
        json.dumps(
            {
                "wall": wall,
                "processing": result.execution.seconds,
                "events": result.events_processed,
                "chunks": result.execution.chunks,
                "digest": digest(result.raw),
                "environ_kept": dict(os.environ) == environment,
                "rss_mib": peak.own_mib,
                "workers_rss_mib": peak.children_mib,
            }
        )
    )


def sample_of(args: argparse.Namespace) -> Path:
    """The sample given, or a generated one (written once into the cache)."""
    if args.sample:
        return args.sample
    from opencoffea.config import GeneratedSample
    from opencoffea.datasets.fileset import generated_files

    wanted = GeneratedSample(process="zz4l", events=args.events, seed=1, format="outreach")
    print(f"{args.events:,} events (generated once into the cache: minutes)…", flush=True)
    return generated_files(wanted, "mc")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_200_000)
    parser.add_argument("--chunksize", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=Path, help="an outreach-format file to run on")
    parser.add_argument("--executor", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.config:
        measure_one(args)
        return

    sample = sample_of(args)
    load_before = os.getloadavg()
    print(f"sample: {sample}, chunks of {args.chunksize:,}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), sample)

        def once(executor: str, workers: int) -> dict[str, Any]:
            command = [sys.executable, __file__, "--config", str(config)]
            command += ["--executor", executor, "--workers", str(workers)]
            command += ["--chunksize", str(args.chunksize)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            return json.loads(out.strip().splitlines()[-1])

        runs: dict[tuple[str, int], list[dict[str, Any]]] = {c: [] for c in CONFIGURATIONS}
        for round_ in range(args.rounds):
            for configuration in CONFIGURATIONS:
                runs[configuration].append(once(*configuration))
            print(f"round {round_ + 1}/{args.rounds} done, load {os.getloadavg()[0]:.2f}")
    load_after = os.getloadavg()

    report(runs, load_before, load_after)


def report(runs: dict[tuple[str, int], list[dict[str, Any]]], before: Any, after: Any) -> None:
    """The table of events/s and set-up, the ratios against their targets, the checks."""
    best = {c: min(rs, key=lambda r: r["processing"]) for c, rs in runs.items()}
    every = [r for rs in runs.values() for r in rs]
    events = best[("iterative", 1)]["events"]
    chunks = best[("iterative", 1)]["chunks"]
    print(f"\n{events:,} events in {chunks} chunks")
    print(
        f"{'':20s} {'events/s':>10s} {'processing':>11s} {'set-up':>7s} "
        f"{'wall':>7s} {'driver RSS':>11s} {'worker RSS':>11s}"
    )
    for (executor, workers), r in best.items():
        print(
            f"{executor + f' ×{workers}':20s} {r['events'] / r['processing']:>10,.0f} "
            f"{r['processing']:>9.2f} s {r['wall'] - r['processing']:>5.2f} s "
            f"{r['wall']:>5.2f} s {r['rss_mib']:>7.0f} MiB "
            + (f"{r['workers_rss_mib']:>7.0f} MiB" if executor != "iterative" else "")
        )
    startup = (best[("dask", 2)]["wall"] - best[("dask", 2)]["processing"]) - (
        best[("iterative", 1)]["wall"] - best[("iterative", 1)]["processing"]
    )
    print(f"dask cluster start-up (2 workers, framework imported in them): {startup:.1f} s")
    bound = chunks / -(-chunks // 2)
    print(f"\nratios of events/s (two workers can reach at most {bound:.2f}× with {chunks} chunks)")
    for (a, b), target in TARGETS.items():
        ratio = best[b]["processing"] / best[a]["processing"]
        mark = "ok" if ratio >= target else "BELOW TARGET"
        print(f"  {a[0]} ×{a[1]} / {b[0]} ×{b[1]}: {ratio:5.2f}  (target ≥ {target})  {mark}")
    digests = sorted({r["digest"] for r in every})
    same = "yes" if len(digests) == 1 else "NO"
    print(f"\nhistograms bit-identical across configurations: {same} (checksum {digests[0]})")
    kept = all(r["environ_kept"] for r in every)
    print(f"driver's os.environ unchanged by every run: {'yes' if kept else 'NO'}")
    print(f"machine load (1/5/15 min): before {_load(before)}, after {_load(after)}")


def _load(load: Any) -> str:
    return " ".join(f"{x:.2f}" for x in load)


if __name__ == "__main__":
    main()
