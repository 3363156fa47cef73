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

The code measured is this checkout's (``src/`` first on ``PYTHONPATH``), the inspected
file the real test data's ``nanoaod/nano_dy.root`` (``OPENCOFFEA_TESTDATA``, default
``../shared/data`` beside the checkout, as for the tests). Bytecode is cached (in ``src/``,
where ``.gitignore`` keeps it out of git) and a first round, not counted, writes it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("OPENCOFFEA_TESTDATA", ROOT.parent / "shared" / "data"))
BASELINE = "import coffea"


def commands(testdata: Path) -> dict[str, list[str]]:
    """What is timed: a label and the arguments of ``python`` for each measurement."""
    cli = ["-m", "opencoffea.cli"]
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
    }


def once(arguments: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one fresh process; it must succeed."""
    path = [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
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
    args = parser.parse_args()
    if not (TESTDATA / "nanoaod/nano_dy.root").exists():
        raise SystemExit(f"real test data not found in {TESTDATA} (set OPENCOFFEA_TESTDATA)")

    timed = commands(TESTDATA)
    load_before = os.getloadavg()
    for arguments in timed.values():  # a first start writes the bytecode caches: not counted
        once(arguments)
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label in timed}
    for _ in range(args.repeat):
        for label, arguments in timed.items():
            runs[label].append(once(arguments))
    best = {label: min(results) for label, results in runs.items()}

    loads = [", ".join(f"{value:.2f}" for value in load) for load in (load_before, os.getloadavg())]
    print(f"opencoffea from {ROOT / 'src'}; best of {args.repeat} fresh processes each")
    print(
        f"machine: {os.cpu_count()} cores, load average (1, 5, 15 min) {loads[0]} before, "
        f"{loads[1]} after"
    )
    print(f"{'':52s} {'wall s':>7s} {'cpu s':>7s} {'× ' + BASELINE:>16s}")
    for label, (wall, cpu) in best.items():
        print(f"{label:52s} {wall:7.3f} {cpu:7.3f} {wall / best[BASELINE][0]:16.1f}")


if __name__ == "__main__":
    main()
