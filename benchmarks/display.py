"""The event display on a big file: 100 events out of 1M, how long, how much read, how big a page.

A generated H → 4ℓ sample in NanoAOD format (LZMA, as real NanoAOD), 1,000,000 events, in two
layouts of the same events: the generator's clusters of 100,000 entries, and clusters of 10,000
(``--cluster``). 100 events are shown (one page, ``opencoffea.display(...).html()``), chosen in
three ways:

- ``ids``: by RUN:LUMI:EVENT, 100 events drawn at random over the file, as a selection picks
  them (the run, luminosityBlock and event branches of every entry are read to find them);
- ``entries``: by entry number, the same events (an analysis's picks know their entries);
- ``first``: the first 100 events.

Each measurement is a fresh process with the framework, plotly and matplotlib imported before
the clock; the scenarios take turns and the best of ``--repeat`` is kept. Printed: seconds to
read and to make the page, bytes read against the file's size (uproot's request counters), the
page's size per event (beyond the page of no event: plotly.js and the viewer), and the seconds
of one PNG.

    python benchmarks/display.py              # ~5 min the first time (the samples), then ~3 min
    python benchmarks/display.py --baseline-src ../before/src   # another checkout beside
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SCENARIOS = ("ids", "entries", "first")


def samples(events: int, cluster: int) -> dict[str, Path]:
    """The two layouts of the sample, generated once into the cache."""
    from opencoffea import generate
    from opencoffea.config import GeneratedSample
    from opencoffea.datasets.cache import cache_dir
    from opencoffea.datasets.fileset import generated_files

    default = generated_files(GeneratedSample(process="hzz4l", events=events, seed=13), "mc")[0]
    clustered = cache_dir("samples") / f"hzz4l_mc_nanoaod_lzma_n{events}_s13_c{cluster}.root"
    if not clustered.exists():
        print(f"generating {events:,} events in clusters of {cluster:,} (a minute or two)…")
        generate("hzz4l", clustered, events, seed=13, kind="mc", chunk_size=cluster)
    return {"clusters of 100,000": default, f"clusters of {cluster:,}": clustered}


def chosen(sample: Path, count: int) -> tuple[list[int], list[str]]:
    """``count`` entries drawn at random (seeded) over the file, and their RUN:LUMI:EVENT."""
    import numpy as np
    import uproot

    with uproot.open(sample) as file:
        tree = file["Events"]
        picked = np.random.default_rng(2026).choice(tree.num_entries, count, replace=False)
        entries = sorted(int(e) for e in picked)
        ids = tree.arrays(["run", "luminosityBlock", "event"], library="np")
    return entries, [
        f"{ids['run'][e]}:{ids['luminosityBlock'][e]}:{ids['event'][e]}" for e in entries
    ]


def measure_one(args: argparse.Namespace) -> None:
    """Child process: one scenario, timed, printed as JSON."""
    import plotly.offline  # noqa: F401

    import opencoffea
    from opencoffea.display import page, projections, scene  # noqa: F401

    entries, ids = json.loads(args.chosen)
    choice: dict[str, Any] = {
        "ids": {"ids": ids},
        "entries": {"entries": entries},
        "first": {"max_events": len(entries)},
    }[args.one]
    start = time.perf_counter()
    shown = opencoffea.display(str(args.sample), **choice)
    read = time.perf_counter()
    html = shown.html()
    made = time.perf_counter()
    shown.events = shown.events[:1]
    png = shown.save(Path(args.tmp) / "one.png")[0]
    pictured = time.perf_counter()
    empty = len(page.render_page([]).encode())
    print(
        json.dumps(
            {
                "read_s": read - start,
                "page_s": made - read,
                "png_s": pictured - made,
                "events": len(entries),
                "bytes_read": sum(f.bytes_read for f in shown.files),
                "size": sum(f.size for f in shown.files),
                "page_bytes": len(html.encode()),
                "empty_page_bytes": empty,
                "png_bytes": png.stat().st_size,
            }
        )
    )


def measure(
    which: str,
    sample: Path,
    picks: tuple[list[int], list[str]],
    tmp: str,
    src: Path | None = None,
) -> dict[str, Any]:
    """One scenario in a fresh process; ``src`` runs another checkout's framework (its src/)."""
    command = [sys.executable, __file__, "--one", which, "--sample", str(sample)]
    command += ["--chosen", json.dumps(picks), "--tmp", tmp]
    env = {**os.environ, "PYTHONPATH": str(src)} if src else None
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cluster", type=int, default=10_000)
    parser.add_argument("--show", type=int, default=100, help="events shown")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, help="src/ of another checkout to compare")
    parser.add_argument("--one", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--chosen", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure_one(args)
        return

    import tempfile

    layouts = samples(args.events, args.cluster)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{args.show} events of {args.events:,} (H → 4ℓ NanoAOD, LZMA), best of {args.repeat}")
    sides: dict[str, Path | None] = {"this": None}
    if args.baseline_src:
        sides["baseline"] = args.baseline_src.resolve()
    print(
        f"{'layout':20s} {'chosen by':9s} {'side':8s} {'read s':>7s} {'page s':>7s} "
        f"{'read of file':>22s} {'page/event':>11s} {'PNG s':>6s}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for layout, sample in layouts.items():
            picks = chosen(sample, args.show)
            runs: dict[tuple[str, str], list[dict[str, Any]]] = {
                (scenario, side): [] for scenario in SCENARIOS for side in sides
            }
            for _ in range(args.repeat):  # everything takes turns: a slow spell hits all
                for scenario in SCENARIOS:
                    for side, src in sides.items():
                        runs[scenario, side].append(measure(scenario, sample, picks, tmp, src))
            for (scenario, side), results in runs.items():
                best = {k: min(r[k] for r in results) for k in ("read_s", "page_s", "png_s")}
                last = results[-1]
                share = last["bytes_read"] / last["size"]
                per_event = (last["page_bytes"] - last["empty_page_bytes"]) / last["events"]
                print(
                    f"{layout:20s} {scenario:9s} {side:8s} {best['read_s']:7.2f} "
                    f"{best['page_s']:7.2f} {last['bytes_read'] / 1e6:7.1f} / "
                    f"{last['size'] / 1e6:5.0f} MB {share:5.1%} {per_event / 1e3:7.1f} kB "
                    f"{best['png_s']:6.2f}"
                )
            print(
                f"{'':20s} page of no event (plotly.js, viewer, detector): "
                f"{last['empty_page_bytes'] / 1e6:.2f} MB; one PNG {last['png_bytes'] / 1e3:.0f} kB"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
