"""Start-up time of opencoffea: importing it, and the commands a user types first.

Each measurement is one fresh process (``python -c "import …"`` or ``python -m
opencoffea.cli …``), so nothing imported by one is reused by the next; the measurements
take turns, so that a slow spell of the machine hits them all alike, and the best of
``--repeat`` of each is kept. The baseline is ``import coffea``: what any coffea user pays
before the first line of their own code.

    python benchmarks/startup.py --repeat 5

Prints, for each, the wall time, the CPU time (user + system: what the wall time would be
on an idle machine, near enough) and the ratio of wall times against ``import coffea``;
and the machine's load, which on a shared machine explains a wall time far above its CPU
time. The targets: ``import opencoffea`` ≤ 0.5 s, each command < 1 s.

``inspect`` is measured on two real files of the test data (``OPENCOFFEA_TESTDATA``,
default ``../shared/data`` beside the checkout, as for the tests): ``nano_dy.root`` and the
2,656-branch ``nano_tt_v15.root``, whose metadata alone takes uproot half a second to read.
Its floor is uproot doing the least that lists the branches, in a fresh process too
(``python -c "import uproot; uproot.open(f)['Events'].keys()"``), and inspect's ratio to
it is printed at the end.

The code measured is this checkout's (``src/`` first on ``PYTHONPATH``); with
``--baseline-src DIR`` each opencoffea line is measured with that ``src/`` too, taking turns
with this checkout's (before and after, in one run). Bytecode is cached, as for an installed
package, in a temporary folder (``PYTHONPYCACHEPREFIX``: nothing is written into either
checkout) that a first round, not counted, fills.

    python benchmarks/startup.py --repeat 5 --baseline-src ../main/src
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("OPENCOFFEA_TESTDATA", ROOT.parent / "shared" / "data"))
BASELINE = "import coffea"
BIG_FILE = "nano_tt_v15.root"
INSPECT_FLOOR = f"uproot: open {BIG_FILE}, list its branches"
INSPECT_BIG = f"opencoffea inspect {BIG_FILE}"


def commands(testdata: Path) -> dict[str, list[str]]:
    """What is timed: a label and the arguments of ``python`` for each measurement."""
    cli = ["-m", "opencoffea.cli"]
    big = str(testdata / "nanoaod" / BIG_FILE)
    return {
        BASELINE: ["-c", "import coffea"],
        "import coffea.processor (what a Processor needs)": ["-c", "import coffea.processor"],
        "import opencoffea": ["-c", "import opencoffea"],
        "opencoffea --help": [*cli, "--help"],
        "opencoffea check configs/higgs4l_demo.yaml": [*cli, "check", "configs/higgs4l_demo.yaml"],
        "opencoffea inspect nano_dy.root": [
            *cli,
            "inspect",
            str(testdata / "nanoaod/nano_dy.root"),
        ],
        INSPECT_FLOOR: ["-c", f"import uproot; uproot.open({big!r})['Events'].keys()"],
        INSPECT_BIG: [*cli, "inspect", big],
        f"opencoffea inspect {BIG_FILE} Muon": [*cli, "inspect", big, "Muon"],
    }


def once(arguments: list[str], src: Path, pycache: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one fresh process; it must succeed."""
    path = [str(src), *filter(None, [os.environ.get("PYTHONPATH")])]
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "PYTHONPYCACHEPREFIX": pycache}
    # Bytecode cached, as for an installed package: with PYTHONDONTWRITEBYTECODE (set in
    # some sandboxes) each start would compile every module of opencoffea it imports again.
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"python {' '.join(arguments)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes of each")
    parser.add_argument("--baseline-src", type=Path, help="src/ of another checkout to compare")
    args = parser.parse_args()
    if not all((TESTDATA / "nanoaod" / name).exists() for name in ("nano_dy.root", BIG_FILE)):
        raise SystemExit(f"real test data not found in {TESTDATA} (set OPENCOFFEA_TESTDATA)")

    timed = {label: (arguments, ROOT / "src") for label, arguments in commands(TESTDATA).items()}
    if args.baseline_src:
        for label, (arguments, _) in list(timed.items()):
            if "opencoffea" in " ".join(arguments):
                timed[f"{label} [baseline]"] = (arguments, args.baseline_src.resolve())
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="opencoffea-pycache-") as pycache:
        for arguments, src in timed.values():  # the first start writes bytecode: not counted
            once(arguments, src, pycache)
        runs: dict[str, list[tuple[float, float]]] = {label: [] for label in timed}
        for _ in range(args.repeat):
            for label, (arguments, src) in timed.items():
                runs[label].append(once(arguments, src, pycache))
    best = {label: min(results) for label, results in runs.items()}

    loads = [", ".join(f"{value:.2f}" for value in load) for load in (load_before, os.getloadavg())]
    baseline = f"; [baseline] from {args.baseline_src}" if args.baseline_src else ""
    print(f"opencoffea from {ROOT / 'src'}{baseline}; best of {args.repeat} fresh processes each")
    print(
        f"machine: {os.cpu_count()} cores, load average (1, 5, 15 min) {loads[0]} before, "
        f"{loads[1]} after"
    )
    print(f"{'':52s} {'wall s':>7s} {'cpu s':>7s} {'× ' + BASELINE:>16s}")
    for label, (wall, cpu) in best.items():
        print(f"{label:52s} {wall:7.3f} {cpu:7.3f} {wall / best[BASELINE][0]:16.1f}")
    floor_wall, floor_cpu = best[INSPECT_FLOOR]
    for label in (INSPECT_BIG, f"{INSPECT_BIG} [baseline]"):
        if label in best:
            wall, cpu = best[label]
            print(
                f"{label} against uproot listing its branches: {wall / floor_wall:.2f}× wall, "
                f"{cpu / floor_cpu:.2f}× CPU"
            )


if __name__ == "__main__":
    main()
