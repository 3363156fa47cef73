"""One self-contained HTML page for all the events shown: plotly.js, the data and the viewer.

The page needs no network and no running kernel: plotly.js comes from the plotly package's
offline bundle, read when the page is made (never copied into this repository), the events are
JSON inside the page, and the viewer (``page.js``, ``page.css`` beside this module) is a few
hundred lines over plotly's API. It opens from an e-mail attachment, a CI artefact or a USB
stick.

What the page shows: a 3D view (rotate, zoom, pan), the r-φ and ρ-z views, the list of events
(run:lumi:event and the analysis's quantities) with previous/next (and the arrow keys), one
row per collection present with its visibility and pT threshold, and, for the object under the
pointer or clicked, its properties in a table. A note says that trajectories are drawn from
NanoAOD kinematics, not from detector hits.

No address is ever loaded. plotly's own code names a few, each behind a feature the page does
not use (:data:`PLOTLY_ADDRESSES`): map tiles, icons and attributions (map traces), the plotly
logo's link (``displaylogo: false``), the chart-studio server (``plotlyServerURL: ""``) and
the topojson files of geographic plots. MathJax is never loaded either: plotly only uses a
MathJax the page itself loads, and ``typesetMath`` is off.

Example:
    >>> from opencoffea.display.reading import read_events
    >>> page = render_page(read_events(nano_dy, entries=[0, 1]).events)
    >>> page.startswith("<!DOCTYPE html>"), len(embedded_data(page)["events"])
    (True, 2)
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

from .._version import __version__
from .detector import rz_outlines, wireframe, xy_outlines
from .reading import EventData
from .scene import describe_collections, event_scene

__all__ = ["NOTE", "PLOTLY_ADDRESSES", "embedded_data", "iframe", "render_page"]

NOTE = (
    "Trajectories are drawn from each object's NanoAOD kinematics (pT, η, φ, charge) from the "
    "primary vertex, as helices in the 3.8 T field (muons bend back in the return field, "
    "approximated as −1.8 T), not from detector hits; jets are cones of their radius to the "
    "ECAL; the detector outlines are approximate."
)
"""What the page says of how it is drawn."""

PLOTLY_ADDRESSES = (
    "plotly.com/",  # the logo's link (displaylogo: false) and error messages' documentation
    "openstreetmap.org",  # map traces' tiles and attribution
    "maplibre.org",  # map traces' attribution
    "esri.com",  # map traces' attribution
    "cdn.jsdelivr.net/npm/@mapbox/maki",  # map traces' marker icons
)
"""Where plotly.js's code sets an address as a link or a source (``href=``, ``src=``): each
only in a feature the page does not draw. The tests check that nothing else in the page does."""

_DATA_ID = "display-data"
_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="opencoffea {version}, plotly.js {plotly_version}">
<title>{title}</title>
<style>{css}</style>
<script>{plotly}</script>
</head>
<body>
<header>
<h1><b>CMS</b> Open Data · event display</h1>
<p class="note">{note}</p>
</header>
<main>
<aside>
<h2>Events</h2>
<div class="nav"><button id="prev">◀ previous</button><span id="position"></span>
<button id="next">next ▶</button></div>
<ol id="event-list"></ol>
<h2>Collections</h2>
<table id="collections"></table>
<h2>Object (hover or click)</h2>
<table id="object"></table>
</aside>
<section id="views">
<div id="event-title"></div>
<div class="views"><div id="view-3d"></div>
<div class="projections"><div id="view-xy"></div><div id="view-rz"></div></div></div>
</section>
</main>
<script type="application/json" id="{data_id}">{data}</script>
<script>{viewer}</script>
</body>
</html>
"""


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def page_data(events: Sequence[EventData]) -> dict[str, Any]:
    """What the page embeds: the events' scenes, the collections' looks, the detector.

    Example:
        >>> sorted(page_data([]))
        ['collections', 'detector', 'events']
    """
    return {
        "events": [event_scene(event) for event in events],
        "collections": describe_collections(),
        "detector": {"wireframe": wireframe(), "xy": xy_outlines(), "rz": rz_outlines()},
    }


def render_page(events: Sequence[EventData], title: str = "CMS Open Data event display") -> str:
    """The page of ``events``, as one HTML string (a few MB: plotly.js is most of it).

    Example:
        >>> page = render_page([], title="nothing")
        >>> "<title>nothing</title>" in page, "NanoAOD kinematics" in page
        (True, True)
    """
    import plotly
    from plotly.offline import get_plotlyjs

    # "<" as \\u003c: no "</script>" or "<!--" inside the data can end its script element.
    data = json.dumps(page_data(events), separators=(",", ":"), allow_nan=False)
    return _TEMPLATE.format(
        version=__version__,
        plotly_version=plotly.__version__,
        title=html.escape(title),
        css=_asset("page.css"),
        plotly=get_plotlyjs(),
        note=html.escape(NOTE),
        data_id=_DATA_ID,
        data=data.replace("<", "\\u003c"),
        viewer=_asset("page.js"),
    )


def embedded_data(page: str) -> dict[str, Any]:
    """The data a page embeds, read back out of it (what the tests compare with the input).

    Example:
        >>> embedded_data(render_page([]))["events"]
        []
    """
    found = re.search(
        rf'<script type="application/json" id="{_DATA_ID}">(.*?)</script>', page, re.S
    )
    if found is None:
        raise ValueError("not a page of the event display: it embeds no event data")
    return json.loads(found.group(1))


def iframe(page: str, height: int = 900) -> str:
    """The page inside an ``<iframe srcdoc>``: how a notebook shows it inline, with no kernel.

    Example:
        >>> iframe("<p>a & b</p>")[:40]
        '<iframe srcdoc="&lt;p&gt;a &amp; b&lt;/p'
    """
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" '
        f'style="width: 100%; height: {height}px; border: 0" '
        'sandbox="allow-scripts"></iframe>'
    )
