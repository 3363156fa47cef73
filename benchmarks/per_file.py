"""The cost of each file of a dataset: opencoffea against uproot's own open and coffea's.

A dataset of N copies of the real 2,656-branch NanoAOD v15 file (``nano_tt_v15.root`` of
the shared test data, copied into a temporary directory and removed at the end), read
in fresh processes, their imports done before the clock and their bytecode cached (in the
temporary directory) as for an installed package.

Each copy gets a UUID of its own, as the files of a real dataset have. Then three ways:

- *uproot*: ``uproot.open(path)["Events"]`` for each file, the TTree's metadata read and
  nothing else, the file closed before the next: the floor, what any reader of it pays;
- *uproot, 4 open*: the same, the last four files kept open, as the event loop keeps them
  (``execution.openfiles``): Python's garbage collector then walks their metadata (some
  120,000 objects a file) at each full pass, which costs more the more files are open;
- *coffea*: ``NanoEventsFactory.from_root`` (virtual NanoEvents, ``NanoAODSchema``) for
  each file, touching ``Muon.pt``;
- *opencoffea*: ``opencoffea.run`` (iterative, one core) of a tiny processor that touches
  a few branches, over the first file alone and over all N. The run of one file is the
  cost of a first file (the run's own fixed costs included); each further file costs
  (run of N − run of 1) / (N − 1).

Per file, the first file of a process and the mean of the later ones are told apart: a
dataset's later files are where what the files share (the NanoEvents form, the schema)
can be learned once. Ratios are against uproot's later files. The sides take turns, round
after round, and the best round of each figure is kept; peak RSS and the machine's load
are printed beside them.

    python benchmarks/per_file.py                                # 8 files, 3 rounds
    python benchmarks/per_file.py --files 4 --repeat 5
    python benchmarks/per_file.py --baseline-src ../main/src     # another checkout beside

With ``--baseline-src`` another checkout's ``opencoffea.run`` is measured too, and its
histograms must be bit-identical to this checkout's, or the script fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("OPENCOFFEA_TESTDATA", ROOT.parent / "shared" / "data"))
SOURCE = TESTDATA / "nanoaod" / "nano_tt_v15.root"

PROCESSOR = '''
import awkward as ak

from opencoffea import Processor


class FewBranches(Processor):
    """Muons and jets: a handful of the file's 2,656 branches."""

    def analyze(self, events, out):
        out.cut("a muon", ak.num(events.Muon) >= 1)
        out.fill("muon_pt", pt=out.select(events.Muon).pt[:, 0])
        out.fill("jets", n=ak.num(out.select(events.Jet)))
'''


def copy_with_own_uuid(source: Path, target: Path) -> None:
    """Copy a ROOT file, giving the copy a UUID of its own.

    The files of a real dataset each have their own; a plain copy would share the
    original's, and with it whatever a reader caches by file UUID. The UUID is 16 bytes of
    the file's header, which nothing else in the file refers to.
    """
    import uproot

    with uproot.open(source) as file:
        old = file.file.uuid.bytes
    data = source.read_bytes()
    assert data.count(old) == 1, "the UUID is expected once, in the file's header"
    target.write_bytes(data.replace(old, uuid.uuid4().bytes))


def write_dataset(directory: Path, files: int) -> dict[str, Path]:
    """N copies of the source file, the processor, and a YAML file for 1 and for N files."""
    import yaml

    copies = [directory / f"nano_tt_v15_{i:03d}.root" for i in range(files)]
    for copy in copies:
        copy_with_own_uuid(SOURCE, copy)
    (directory / "few_branches.py").write_text(PROCESSOR)
    configs = {}
    for n in (1, files):
        document = {
            "name": f"per_file_{n}",
            "processor": "few_branches.py:FewBranches",
            "luminosity": 1.0,
            "datasets": {"TT": {"files": [str(c) for c in copies[:n]], "kind": "mc", "xsec": 1}},
            "histograms": {
                "muon_pt": {"axes": [{"name": "pt", "bins": 50, "start": 0, "stop": 200}]},
                "jets": {"axes": [{"name": "n", "bins": 20, "start": 0, "stop": 20}]},
            },
        }
        configs[f"config_{n}"] = directory / f"per_file_{n}.yaml"
        configs[f"config_{n}"].write_text(yaml.safe_dump(document, sort_keys=False))
    return {"first": copies[0], **configs}


def digest(histograms: dict[str, Any]) -> str:
    """A checksum of every bin of the raw histograms (values and variances)."""
    sha = hashlib.sha256()
    for name in sorted(histograms):
        sha.update(histograms[name].values(flow=True).tobytes())
        sha.update(histograms[name].variances(flow=True).tobytes())
    return sha.hexdigest()[:16]


# ------------------------------------------------------------------------------ one process


def per_file(paths: list[str], read: Any) -> list[tuple[float, float]]:
    """Wall and CPU seconds of ``read(path)`` for each file in turn."""
    times = []
    for path in paths:
        start, cpu = time.perf_counter(), time.process_time()
        read(path)
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return times


def uproot_side(paths: list[str], kept: int) -> dict[str, Any]:
    import uproot

    opened: list[Any] = []

    def read(path: str) -> None:
        opened.append(uproot.open(path))
        opened[-1]["Events"]  # the TTree's metadata: every branch, deserialised
        while len(opened) > kept:
            opened.pop(0).close()

    return {"files": per_file(paths, read)}


def coffea_side(paths: list[str]) -> dict[str, Any]:
    import awkward as ak
    from coffea.nanoevents import NanoAODSchema, NanoEventsFactory

    NanoAODSchema.warn_missing_crossrefs = False

    def read(path: str) -> None:
        factory = NanoEventsFactory.from_root(
            {path: "Events"}, schemaclass=NanoAODSchema, mode="virtual"
        )
        ak.sum(factory.events().Muon.pt)

    return {"files": per_file(paths, read)}


def opencoffea_side(config: Path) -> dict[str, Any]:
    from opencoffea import load_config, run  # their modules imported here, before the clock

    loaded = load_config(config)
    start, cpu = time.perf_counter(), time.process_time()
    result = run(loaded, executor="iterative", status=False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert result.complete
    return {"run": (seconds, cpu), "digest": digest(result.raw)}


def measure_one(args: argparse.Namespace) -> None:
    """Child process: one measurement, printed as JSON on the last line."""
    import awkward  # noqa: F401 - what every side imports, before the clock
    import uproot  # noqa: F401
    from peak_memory import PeakMemory

    if not args.one.startswith("uproot"):
        import coffea.nanoevents  # noqa: F401
    paths = sorted(str(p) for p in args.directory.glob("nano_tt_v15_*.root"))
    assert paths, f"no copies in {args.directory}"
    with PeakMemory() as peak:
        if args.one == "uproot":
            measured = uproot_side(paths, kept=0)
        elif args.one == "uproot-4-open":
            measured = uproot_side(paths, kept=4)
        elif args.one == "coffea":
            measured = coffea_side(paths)
        else:
            measured = opencoffea_side(args.config)
    print(json.dumps({**measured, "rss_mib": peak.own_mib}))


def measure(
    one: str, directory: Path, config: Path | None = None, src: Path | None = None
) -> dict[str, Any]:
    """One measurement in a fresh process; ``src`` is the ``src/`` of the checkout to run."""
    command = [sys.executable, __file__, "--one", one, "--directory", str(directory)]
    if config is not None:
        command += ["--config", str(config)]
    # Bytecode cached, as for an installed package, in the temporary directory (so that
    # neither checkout is written to); PYTHONDONTWRITEBYTECODE, set in some sandboxes, would
    # have each process compile the modules it imports again, inside the clock for some.
    environ = {
        **os.environ,
        "PYTHONPATH": str(src or ROOT / "src"),
        "PYTHONPYCACHEPREFIX": str(directory / "pycache"),
    }
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        command, cwd=directory, env=environ, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ the driver


def first_and_later(measured: list[dict[str, Any]], files: int) -> dict[str, float]:
    """Wall and CPU seconds of the first file and of each later one, best over rounds.

    The best of each measured quantity is kept, then the later files' share is taken: for
    opencoffea, (best run of N - best run of 1) / (N - 1), since the best of a difference
    would pick the round whose run of one file was slowest.
    """
    best: dict[str, float] = {}
    if "files" in measured[0]:
        for key, column in (("", 0), ("_cpu", 1)):
            best["first" + key] = min(m["files"][0][column] for m in measured)
            later = min(sum(f[column] for f in m["files"][1:]) for m in measured)
            best["later" + key] = later / (files - 1)
    else:  # a run of 1 file and a run of N files
        for key, column in (("", 0), ("_cpu", 1)):
            one = min(m["run_1"][column] for m in measured)
            best["first" + key] = one
            best["later" + key] = (min(m["run_n"][column] for m in measured) - one) / (files - 1)
    best["rss"] = max(m["rss_mib"] for m in measured)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8, help="copies of the file (N ≥ 2)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds")
    parser.add_argument("--baseline-src", type=Path, help="src/ of another checkout to compare")
    parser.add_argument(
        "--one", choices=["uproot", "uproot-4-open", "coffea", "opencoffea"], help=argparse.SUPPRESS
    )
    parser.add_argument("--directory", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure_one(args)
        return
    if not SOURCE.exists():
        raise SystemExit(f"real test data not found: {SOURCE} (set OPENCOFFEA_TESTDATA)")
    if args.files < 2:
        raise SystemExit("--files must be at least 2: later files are what is measured")

    sides: dict[str, Path | None] = {
        "uproot": None,
        "uproot-4-open": None,
        "coffea": None,
        "opencoffea": ROOT / "src",
    }
    if args.baseline_src:
        sides["opencoffea (baseline)"] = args.baseline_src.resolve()
    directory = Path(tempfile.mkdtemp(prefix="opencoffea-per-file-"))
    try:
        made = write_dataset(directory, args.files)
        load_before = os.getloadavg()
        runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
        for _ in range(args.repeat):  # the sides take turns: a slow spell hits them all
            for side, src in sides.items():
                if side in ("uproot", "uproot-4-open", "coffea"):
                    runs[side].append(measure(side, directory))
                    continue
                one = measure("opencoffea", directory, made["config_1"], src)
                n = measure("opencoffea", directory, made[f"config_{args.files}"], src)
                runs[side].append(
                    {
                        "run_1": one["run"],
                        "run_n": n["run"],
                        "digest": n["digest"],
                        "rss_mib": max(one["rss_mib"], n["rss_mib"]),
                    }
                )
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(directory)

    digests = {r["digest"] for side in sides if "opencoffea" in side for r in runs[side]}
    if len(digests) != 1:
        raise SystemExit(f"histograms differ between runs or checkouts: {digests}")
    best = {side: first_and_later(runs[side], args.files) for side in sides}
    floor = best["uproot"]
    print(
        f"{args.files} copies of {SOURCE.name} (2,656 branches, 200 events), best of "
        f"{args.repeat} rounds, fresh processes; histograms {digests.pop()}"
    )
    print(
        f"machine: {os.cpu_count()} cores, load average (1, 5, 15 min) "
        f"{_load(load_before)} before, {_load(load_after)} after"
    )
    print(
        f"{'per file':24s} {'first s':>8s} {'cpu s':>7s} {'later s':>8s} {'cpu s':>7s} "
        f"{'later × uproot: wall':>21s} {'cpu':>5s} {'peak RSS':>9s}"
    )
    for side, b in best.items():
        print(
            f"{side:24s} {b['first']:8.3f} {b['first_cpu']:7.3f} {b['later']:8.3f} "
            f"{b['later_cpu']:7.3f} {b['later'] / floor['later']:21.2f} "
            f"{b['later_cpu'] / floor['later_cpu']:5.2f} {b['rss']:>5.0f} MiB"
        )
    print(
        "opencoffea's first file is a run of one file: the run's own fixed costs are in it; "
        "its later files are (run of N - run of 1) / (N - 1). Target: later ≤ 1.2 × uproot. "
        "On a busy machine the CPU ratio is the steadier one."
    )


def _load(load: tuple[float, float, float]) -> str:
    return ", ".join(f"{x:.2f}" for x in load)


if __name__ == "__main__":
    main()
