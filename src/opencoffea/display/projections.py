"""PNG pictures of an event: its r-φ and ρ-z views under a CMS-style header.

Drawn with matplotlib (this module and :mod:`opencoffea.plotting.figures` are the only ones
that import it: ``tests/test_architecture.py``), from the same scene as the page
(:mod:`~opencoffea.display.scene`), showing what the page shows at first: the collections
visible by default above their first pT thresholds, marked objects always, thicker. The header
says "CMS Open Data", √s, run/lumi/event, the dataset and the analysis's quantities.

The same scene gives the same bytes: no date is written, the ``Software`` field is fixed and
the font is matplotlib's own DejaVu Sans (which has φ, η, ρ, √ and ℓ), found on every
installation, so the picture does not depend on the fonts of the machine.

Example:
    >>> import tempfile
    >>> from opencoffea.display.reading import read_events
    >>> from opencoffea.display.scene import event_scene
    >>> scene = event_scene(read_events(nano_dy, entries=[0]).events[0])
    >>> path = save_png(scene, f"{tempfile.mkdtemp()}/event.png")
    >>> path.read_bytes()[:4], header_lines(scene)[1]
    (b'\\x89PNG', 'Run 1, Lumi 13889, Event 3749778 · nano_dy.root')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

from .._version import __version__
from ..util import atomic_path
from .catalogue import COLLECTIONS, collection_of
from .detector import rz_outlines, xy_outlines

__all__ = ["header_lines", "save_png"]

BACKGROUND = "#000000"
FOREGROUND = "#e6e6e6"
SYSTEMS = {"tracker": "#8a8f98", "ecal": "#5fae7e", "hcal": "#6b8cc7", "magnet": "#a39467"}
SYSTEMS["muon"] = "#c07070"
MET_COLOUR = "#e377c2"


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def header_lines(scene: dict[str, Any]) -> list[str]:
    """The header's lines: "CMS Open Data" and √s; the event and dataset; the quantities.

    Example:
        >>> scene = {"id": {"run": 195013, "lumi": 12, "event": 345}, "sqrt_s": 8.0,
        ...          "dataset": "DoubleMuParked", "quantities": {"m4l": 124.56}, "data": True}
        >>> for line in header_lines(scene):
        ...     print(line)
        CMS Open Data  √s = 8 TeV
        Run 195013, Lumi 12, Event 345 · DoubleMuParked
        m4l = 124.6
    """
    first = "CMS Open Data" + ("" if scene.get("data", True) else " Simulation")
    if scene.get("sqrt_s"):
        first += f"  √s = {scene['sqrt_s']:g} TeV"
    ids = scene["id"]
    if ids["run"] is None and ids["event"] is None:
        event = f"Entry {scene.get('entry')}"
    else:
        event = ", ".join(
            f"{label} {'?' if ids[key] is None else ids[key]}"
            for label, key in (("Run", "run"), ("Lumi", "lumi"), ("Event", "event"))
        )
    lines = [first, event + (f" · {scene['dataset']}" if scene.get("dataset") else "")]
    quantities = ", ".join(f"{k} = {_number(v)}" for k, v in scene.get("quantities", {}).items())
    return [*lines, quantities] if quantities else lines


def _shown(scene: dict[str, Any]) -> list[tuple[Any, str, dict[str, Any]]]:
    """(collection, name, object) of what the page shows at first, marked objects last."""
    shown = []
    for name, objects in scene["collections"].items():
        collection = collection_of(name)
        for item in objects:
            if item["marked"] or (collection.visible and (item["pt"] or 0) >= collection.min_pt):
                shown.append((collection, name, item))
    return sorted(shown, key=lambda entry: entry[2]["marked"])


def _side(phi: float | None) -> float:
    return 1.0 if np.sin(phi or 0.0) >= 0 else -1.0


def _draw(ax: Any, view: str, scene: dict[str, Any]) -> None:
    xy = view == "xy"
    for outline in xy_outlines() if xy else rz_outlines():
        colour = SYSTEMS[outline["system"]]
        ax.add_patch(
            Polygon(
                np.column_stack([outline["x"], outline["y"]]),
                closed=True,
                facecolor=colour,
                edgecolor=colour,
                alpha=0.18,
                linewidth=0.6,
            )
        )
    for collection, _, item in _shown(scene):
        width = 2.6 if item["marked"] else 1.2
        if "cone" in item:
            wedge = np.array(item["xy" if xy else "rz"]).T
            alpha = 0.55 if item["marked"] else 0.35
            ax.add_patch(Polygon(wedge, closed=True, facecolor=item["colour"], alpha=alpha))
            ax.add_patch(
                Polygon(wedge, closed=True, fill=False, edgecolor=item["colour"], lw=width)
            )
        elif "path" in item:
            x, y, z = (np.asarray(v) for v in item["path"])
            u, v = (x, y) if xy else (z, _side(item["phi"]) * np.hypot(x, y))
            ax.plot(u, v, color=collection.colour, linewidth=width, solid_capstyle="round")
        elif "point" in item:
            px, py, pz = item["point"]
            ax.plot(
                *((px, py) if xy else (pz, _side(np.arctan2(py, px)) * np.hypot(px, py))),
                "o",
                color=collection.colour,
                markersize=3,
            )
    vx, vy, vz = scene["vertex"]
    ax.plot(*((vx, vy) if xy else (vz, np.hypot(vx, vy))), "o", color="white", markersize=3)
    met = scene.get("met")
    if met:
        (x0, x1), (y0, y1), (z0, _) = met["arrow"]
        length = np.hypot(x1 - x0, y1 - y0)
        tail, head = ((x0, y0), (x1, y1)) if xy else ((z0, 0.0), (z0, _side(met["phi"]) * length))
        arrow = {"arrowstyle": "-|>", "color": MET_COLOUR, "lw": 2}
        ax.annotate("", xy=head, xytext=tail, arrowprops=arrow)
        ax.text(*head, f" MET {met['pt']:.1f} GeV", color=MET_COLOUR, fontsize=10)
    ax.set_xlim(-8, 8) if xy else ax.set_xlim(-11, 11)
    ax.set_ylim(-8, 8)
    ax.set_aspect("equal")
    ax.set_facecolor(BACKGROUND)
    ax.set_xlabel("x [m]" if xy else "z [m]")
    ax.set_ylabel("y [m]" if xy else "ρ [m] (signed by sin φ)")
    ax.set_title("r-φ" if xy else "ρ-z", color=FOREGROUND, loc="left", fontsize=11)


def _header(figure: Figure, anchor: Any, lines: list[str]) -> None:
    """ "CMS" bold, the rest of the first line italic after it; the legend on the right."""
    first, *rest = lines
    cms = figure.text(0.05, 0.955, "CMS", fontsize=20, fontweight="bold", va="baseline")
    anchor.annotate(
        first.removeprefix("CMS"),
        xy=(1, 0),
        xycoords=cms,
        xytext=(2, 0),
        textcoords="offset points",
        fontsize=16,
        style="italic",
        va="bottom",
        annotation_clip=False,
    )
    for row, line in enumerate(rest):
        figure.text(0.05, 0.915 - 0.04 * row, line, fontsize=12, va="baseline")
    handles = [
        Line2D([], [], color=c.colour, lw=2, label=c.label) for c in COLLECTIONS if c.visible
    ]
    handles.append(Line2D([], [], color=MET_COLOUR, lw=2, label="MET: 2 m · √(MET / 100 GeV)"))
    figure.legend(
        handles=handles,
        loc="upper right",
        ncol=3,
        frameon=False,
        fontsize=9,
        labelcolor=FOREGROUND,
        bbox_to_anchor=(0.99, 0.99),
    )


def save_png(scene: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """The r-φ and ρ-z views of one event's scene, as a PNG at ``path`` (written whole).

    Example:
        >>> import tempfile
        >>> from opencoffea.display.reading import read_events
        >>> from opencoffea.display.scene import event_scene
        >>> scene = event_scene(read_events(nano_dy, entries=[1]).events[0])
        >>> first = save_png(scene, f"{tempfile.mkdtemp()}/a.png").read_bytes()
        >>> first == save_png(scene, f"{tempfile.mkdtemp()}/b.png").read_bytes()
        True
    """
    with matplotlib.rc_context(
        {
            "font.family": "DejaVu Sans",
            "font.size": 11,
            "text.color": FOREGROUND,
            "axes.labelcolor": FOREGROUND,
            "axes.edgecolor": "#555555",
            "xtick.color": FOREGROUND,
            "ytick.color": FOREGROUND,
        }
    ):
        figure = Figure(figsize=(14, 7.2), facecolor=BACKGROUND)
        FigureCanvasAgg(figure)  # no pyplot: no display, no global figure state
        xy_axes, rz_axes = figure.subplots(
            1, 2, gridspec_kw={"width_ratios": (16, 22), "left": 0.05, "right": 0.99}
        )
        figure.subplots_adjust(top=0.80, bottom=0.08, wspace=0.15)
        _draw(xy_axes, "xy", scene)
        _draw(rz_axes, "rz", scene)
        _header(figure, xy_axes, header_lines(scene))
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as partial:
            figure.savefig(
                partial,
                format="png",
                dpi=100,
                facecolor=BACKGROUND,
                metadata={"Software": f"opencoffea {__version__}"},
            )
    return target
