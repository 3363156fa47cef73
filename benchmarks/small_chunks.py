"""Small chunks: the framework's overhead over a hand-written loop at 200k, 100k and 50k.

The dimuon analysis of ``benchmarks/dimuon_throughput.py`` (the same two sides, each
measurement a fresh process, best of ``--repeat``), at three chunk sizes and on two
layouts of the same generated events: the generator's baskets of 100,000 entries, and
clusters of ``--cluster`` entries (30,000 by default: smaller than a chunk, and no
divisor of one, as in real NanoAOD, whose clusters hold some thousands of events). The
hand-written loop steps through the file with ``uproot.iterate``, which decompresses a
basket that two steps share only once; the framework's chunks are independent, so a
chunk edge inside a basket costs a second decompression, unless chunks end where the
file's clusters end.

    python benchmarks/small_chunks.py
    python benchmarks/small_chunks.py --baseline-src ../main/src   # before/after beside

With ``--baseline-src`` the framework of another checkout is measured too, with that
checkout's ``analyses/dimuon.py``. Overheads are given in wall time and in CPU time (best of
each): on a machine others share, CPU time is the steadier of the two.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from dimuon_throughput import measure

CHUNKSIZES = (200_000, 100_000, 50_000)
TARGETS = {200_000: None, 100_000: 0.10, 50_000: 0.20}


def samples(events: int, cluster: int) -> dict[str, Path]:
    """The generated samples, one a layout (written once into the cache)."""
    from opencoffea import generate
    from opencoffea.config import GeneratedSample
    from opencoffea.datasets.cache import cache_dir
    from opencoffea.datasets.fileset import generated_files

    wanted = GeneratedSample(process="dimuon_data", events=events, seed=7)
    default = generated_files(wanted, "data")[0]
    clustered = cache_dir("samples") / f"dimuon_data_data_nanoaod_lzma_n{events}_s7_c{cluster}.root"
    if not clustered.exists():
        print(f"generating {events:,} events in clusters of {cluster:,} (a minute or two)…")
        generate("dimuon_data", clustered, events, seed=7, kind="data", chunk_size=cluster)
    return {"baskets of 100,000": default, f"clusters of {cluster:,}": clustered}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cluster", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, help="src/ of another checkout to compare")
    args = parser.parse_args()

    sides = {"handwritten": None, "framework": None}
    if args.baseline_src:
        sides["baseline"] = args.baseline_src.resolve()
    layouts = samples(args.events, args.cluster)
    load_before = os.getloadavg()
    print(f"{args.events:,} events of dimuon data (LZMA), best of {args.repeat}; one core")
    compared = [side for side in sides if side != "handwritten"]
    print(
        f"{'layout':20s} {'chunksize':>9s} {'hand-written':>14s}"
        + "".join(f" {side + ': chunks, overhead wall, CPU':>36s}" for side in compared)
    )
    for layout, sample in layouts.items():
        for chunksize in CHUNKSIZES:
            # Interleaved, so that a slow spell of the machine hits every side alike.
            runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
            for _ in range(args.repeat):
                for side, src in sides.items():
                    which = "handwritten" if side == "handwritten" else "framework"
                    runs[side].append(measure(which, sample, chunksize, src=src))
            assert len({r["filled"] for rs in runs.values() for r in rs}) == 1, runs
            # the framework's analysis and the loop: the same histogram, bin for bin (a
            # baseline's analysis may add four-vectors another way: equal totals suffice)
            same = {r["bins"] for side in ("handwritten", "framework") for r in runs[side]}
            assert len(same) == 1, runs
            wall = {side: min(r["seconds"] for r in rs) for side, rs in runs.items()}
            cpu = {side: min(r["cpu"] for r in rs) for side, rs in runs.items()}
            line = f"{layout:20s} {chunksize:>9,} {args.events / wall['handwritten']:>10,.0f} e/s"
            for side in compared:
                line += f" {runs[side][0]['chunks']:>16}"
                line += f" {wall[side] / wall['handwritten'] - 1:>+9.1%}"
                line += f" {cpu[side] / cpu['handwritten'] - 1:>+9.1%}"
            target = TARGETS[chunksize]
            print(line + (f"   (target ≤ +{target:.0%})" if target is not None else ""))
    print(f"machine load (1/5/15 min): before {_load(load_before)}, after {_load(os.getloadavg())}")


def _load(load: Any) -> str:
    return " ".join(f"{x:.2f}" for x in load)


if __name__ == "__main__":
    main()
