"""The event display's page and pictures: self-contained, faithful to the input, drawn.

The page is checked as text (no address to load, the objects embedded are the input's) and in
a real browser: Debian's headless Chromium (installed by ``.ci/run``), with every request it
makes sent to a proxy on 127.0.0.1 that refuses them all, so that the page is seen as it is
offline; the screenshot must show the collections' colours, the console no error.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import uproot

from opencoffea.cli import main
from opencoffea.display import Pick, display
from opencoffea.display.catalogue import collection_of
from opencoffea.display.page import PLOTLY_ADDRESSES, embedded_data, render_page
from opencoffea.display.reading import read_events
from opencoffea.display.scene import PF_MIN_PT

from .conftest import TESTDATA
from .test_startup import loaded_after

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# What would make a browser fetch something: an attribute, a CSS url(), an import, a fetch.
LOADS = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["'`]?\s*(?:https?:)?//)"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//"""
    r"""|\bimport\s*(?:\(|[^;\n]{0,80}\bfrom)\s*["'`]https?:|fetch\(\s*["'`]https?:"""
    r"""|XMLHttpRequest[^;]{0,80}https?:""",
    re.IGNORECASE,
)


def real_files() -> list[str]:
    folder = TESTDATA / "nanoaod"
    return sorted(p.name for p in folder.glob("*.root")) if folder.exists() else []


def plotly_bundle(page: str) -> tuple[str, str]:
    """(the page without plotly.js, plotly.js): the first <script> of the head is plotly's."""
    start = page.index("<script>") + len("<script>")
    end = page.index("</script>", start)
    return page[:start] + page[end:], page[start:end]


def test_the_page_has_no_address_to_load(nanoaod):
    page = render_page(read_events(str(nanoaod("nano_dimuon.root")), max_events=3).events)
    ours, plotly = plotly_bundle(page)
    assert "Plotly" in plotly[:2000] or "plotly" in plotly[:2000]
    assert not LOADS.findall(ours), LOADS.findall(ours)
    assert "http://" not in ours and "https://" not in ours
    # plotly.js names a few addresses, each behind a feature the page does not use
    for found in LOADS.finditer(plotly):
        context = plotly[found.start() : found.end() + 60]
        assert any(address in context for address in PLOTLY_ADDRESSES), context
    assert "mathjax" not in ours.lower()
    for option in ("displaylogo: false", 'plotlyServerURL: ""', "typesetMath: false"):
        assert option in ours


@pytest.mark.parametrize("name", ["nano_dimuon.root", "pfnano.root", "nano_tt_v15.root"])
def test_the_objects_embedded_are_the_input_event_by_event(nanoaod, name):
    path = str(nanoaod(name))
    entries = [0, 3, 5]
    data = embedded_data(display(path, entries=entries).html())
    assert [e["entry"] for e in data["events"]] == entries
    with uproot.open(path) as file:
        tree = file["Events"]
        for scene, entry in zip(data["events"], entries, strict=True):
            ids = {
                b: tree[b].array(entry_start=entry, entry_stop=entry + 1)[0]
                for b in ("run", "luminosityBlock", "event")
            }
            assert scene["id"] == {
                "run": ids["run"],
                "lumi": ids["luminosityBlock"],
                "event": ids["event"],
            }
            assert scene["collections"], "nothing drawn"
            for collection, objects in scene["collections"].items():
                kind = collection_of(collection).kind
                columns = {
                    f: tree[f"{collection}_{f}"].array(
                        entry_start=entry, entry_stop=entry + 1, library="np"
                    )[0]
                    for f in ("pt", "eta", "phi")
                    if f"{collection}_{f}" in tree
                }
                kept = (
                    np.flatnonzero(columns["pt"] >= PF_MIN_PT)
                    if kind == "pfcand"
                    else np.arange(len(columns["pt"]))
                )
                assert [o["index"] for o in objects] == kept.tolist(), collection
                for field, values in columns.items():
                    assert np.allclose([o[field] for o in objects], values[kept], atol=1e-4), (
                        collection,
                        field,
                    )
                if collection_of(collection).charged and f"{collection}_charge" in tree:
                    charge = tree[f"{collection}_charge"].array(
                        entry_start=entry, entry_stop=entry + 1, library="np"
                    )[0]
                    assert [o["charge"] for o in objects] == charge[kept].tolist()
            met = scene["met"]
            assert np.isclose(
                met["pt"],
                tree[f"{met['name']}_pt"].array(entry_start=entry, entry_stop=entry + 1)[0],
                atol=1e-4,
            )


def test_marked_objects_and_quantities_reach_the_page(nanoaod):
    path = str(nanoaod("nano_dy.root"))
    picks = [Pick(path, 24, {"Muon": frozenset({1})}, {"mZ1": 91.19, "channel": "2mu"}), (path, 4)]
    events = embedded_data(display(picks).html())["events"]
    assert events[0]["quantities"] == {"mZ1": 91.19, "channel": "2mu"}
    assert [m["marked"] for m in events[0]["collections"]["Muon"]] == [False, True]
    assert not any(m["marked"] for m in events[1]["collections"]["Muon"])


@pytest.mark.parametrize("name", real_files() or ["(no test data)"])
def test_every_real_file_displays(name, nanoaod, tmp_path):
    path = str(nanoaod(name))
    shown = display(path, max_events=3)
    (page,) = shown.save(tmp_path / "page.html")
    assert len(embedded_data(page.read_text())["events"]) == len(shown.events)
    pictures = shown.save(tmp_path / "event.png")
    assert len(pictures) == len(shown.events)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pictures)


def test_the_pictures_are_the_same_bytes_for_the_same_input(nanoaod, tmp_path):
    path = str(nanoaod("nano_dimuon.root"))
    first = display(path, entries=[2]).save(tmp_path / "a.png")[0].read_bytes()
    again = display(path, entries=[2]).save(tmp_path / "b.png")[0].read_bytes()
    other = display(path, entries=[3]).save(tmp_path / "c.png")[0].read_bytes()
    assert first == again != other
    assert b"tIME" not in first and b"Creation Time" not in first  # no date inside


def test_a_notebook_shows_the_page_inline_without_a_kernel(nanoaod):
    shown = display(str(nanoaod("nano_dy.root")), entries=[1])
    inline = shown._repr_html_()
    assert inline.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert "<script" not in inline  # all of the page is inside the attribute, escaped
    with pytest.raises(ValueError, match=r"save as \.html"):
        shown.save("x.pdf")


def test_import_opencoffea_loads_no_plotly_and_the_name_display_stays_callable():
    loaded = loaded_after("import opencoffea")
    assert not {m for m in loaded if m.split(".")[0] in ("plotly", "matplotlib", "uproot")}
    code = (
        "import opencoffea.display.page, opencoffea; print(opencoffea.display(NANO, entries=[0]))"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code.replace("NANO", repr(str(TESTDATA / "nanoaod" / "nano_dy.root"))),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == "Display(1 event from nano_dy.root)", done.stderr


def test_cli_writes_the_page_and_one_picture_an_event(nanoaod, tmp_path, capsys):
    path = str(nanoaod("nano_dimuon.root"))
    out = tmp_path / "shown"
    assert main(["display", path, "--entry", "4", "--entry", "9", "--output", str(out)]) == 0
    assert (
        sorted(p.name for p in out.iterdir())
        == [
            "display.html",
            "event_315267_205_197681009.png",
            "event_315267_205_197818706.png",
        ]
        or len(list(out.glob("*.png"))) == 2
    )
    assert "2 event(s)" in capsys.readouterr().err
    assert main(["display", path, "--event", "1:2:3", "--output", str(out)]) == 1
    assert "has no event 1:2:3" in capsys.readouterr().err
    assert main(["display", str(nanoaod("nano_dy_empty.root")), "--output", str(out / "e")]) == 0
    assert "has no events to show" in capsys.readouterr().err


# ---------------------------------------------------------------------- in a browser


@contextlib.contextmanager
def refusing_proxy():
    """A proxy on 127.0.0.1 that answers 502 to everything and keeps what it was asked."""
    asked: list[str] = []

    class Refuse(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def refuse(self) -> None:
            asked.append(self.path)
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_HEAD = do_CONNECT = refuse

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# Chromium's own traffic (time sync, sign-in, updates), not the page's.
BROWSER_OWN = re.compile(r"(^|[./])(google|googleapis|gstatic|gvt1)\.com(:\d+)?($|/)")
BENIGN_CONSOLE = ("GL Driver Message", "Canvas2D: Multiple readback operations")


def browse(page: Path, tmp_path: Path) -> tuple[str, list[str], list[str], Path]:
    """Open ``page`` in headless Chromium: (the DOM, console lines, requests, screenshot)."""
    shot = tmp_path / "screen.png"
    with refusing_proxy() as (port, asked):
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-unsafe-swiftshader",  # WebGL for plotly's 3D, in software
            f"--proxy-server=http://127.0.0.1:{port}",
            "--proxy-bypass-list=<-loopback>",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1400,900",
            "--virtual-time-budget=15000",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--dump-dom",
            page.resolve().as_uri(),
        ]
        browser = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            dom, log = browser.communicate(timeout=120)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGKILL)  # its renderer and GPU processes too
            browser.wait()
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    return dom, console, [a for a in asked if not BROWSER_OWN.search(a)], shot


def colour_pixels(screenshot: Path, colour: str, tolerance: int = 40) -> int:
    from matplotlib.image import imread

    pixels = (imread(screenshot)[..., :3] * 255).astype(int)
    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels - target).max(axis=-1) <= tolerance).sum())


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_the_page_draws_in_a_browser_offline_without_errors(nanoaod, tmp_path):
    path = str(nanoaod("nano_dimuon.root"))
    shown = display(path, entries=[0, 1, 2])  # muons, an electron, a photon, jets
    (page,) = shown.save(tmp_path / "display.html")
    dom, console, requests, screenshot = browse(page, tmp_path)
    assert 'data-drawn="0:' in dom, "the viewer did not finish drawing the first event"
    assert "315267:205:197798546" in dom  # the event list
    errors = [line for line in console if not any(b in line for b in BENIGN_CONSOLE)]
    assert not errors, errors
    assert not requests, f"the page asked the network for {requests}"
    from matplotlib.image import imread

    image = imread(screenshot)[..., :3]
    assert image.std() > 0.05  # not blank
    scene = embedded_data(page.read_text())["events"][0]["collections"]
    assert scene["Muon"] and scene["Jet"]
    for colour in (collection_of("Muon").colour, collection_of("Electron").colour, "#e377c2"):
        assert colour_pixels(screenshot, colour) > 20, colour  # muons, electrons, the MET arrow
    assert max(colour_pixels(screenshot, j["colour"], 25) for j in scene["Jet"]) > 20


# A pointer moved onto the 20th point of the first muon in the r-φ view (how plotly's own tests
# hover), then the "next" button: what the side panel shows after each, kept on <body>.
POINTER = """<script>
setTimeout(function () {
  var view = document.getElementById("view-xy"), layout = view._fullLayout;
  var muons = view.data.find(function (t) { return t.meta && t.meta.name === "Muon"; });
  var box = view.getBoundingClientRect();
  view.querySelector(".nsewdrag").dispatchEvent(new MouseEvent("mousemove", {
    bubbles: true,
    clientX: box.left + layout._size.l + layout.xaxis.d2p(muons.x[20]),
    clientY: box.top + layout._size.t + layout.yaxis.d2p(muons.y[20]),
  }));
  setTimeout(function () {
    document.body.dataset.hovered = document.getElementById("object").innerText;
    document.getElementById("next").click();
  }, 500);
}, 2000);
</script>"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_hovering_an_object_shows_its_properties_and_next_moves_on(nanoaod, tmp_path):
    shown = display(str(nanoaod("nano_dimuon.root")), entries=[0, 1])
    page = shown.html()
    at = page.rindex("</body>")
    probed = tmp_path / "probed.html"
    probed.write_text(page[:at] + POINTER + page[at:])
    dom, console, requests, _ = browse(probed, tmp_path)
    hovered = re.search(r'data-hovered="([^"]*)"', dom)
    assert hovered, "the pointer script did not run"
    table = hovered.group(1)
    muon = embedded_data(page)["events"][0]["collections"]["Muon"][0]
    assert "Muon[0]" in table and "tightId" in table and f"{muon['pt']:.3f}" in table
    assert 'data-drawn="1:' in dom  # "next" drew the second event
    assert not [line for line in console if not any(b in line for b in BENIGN_CONSOLE)]
    assert not requests


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_a_page_that_loads_from_the_network_or_fails_is_caught(tmp_path):
    """The browser check sees a load (an image, a fetch) and a script error: it can fail."""
    page = tmp_path / "online.html"
    page.write_text(
        '<img src="https://example.com/x.png">'
        '<script>fetch("https://example.org/a"); no_such_function();</script>'
    )
    _, console, requests, _ = browse(page, tmp_path)
    assert {"example.com:443", "example.org:443"} <= set(requests)
    assert any("Uncaught ReferenceError: no_such_function" in line for line in console)
