"""The CMS style (mplhep's) kept by a figure wherever it is drawn: :class:`CMSFigure`.

matplotlib looks fonts up when text is drawn, not when it is made: a figure made in the
style but shown by a notebook, or saved, outside it would lose its fonts and its layout.
A notebook shows it as a PNG even where pyplot, whose backend would, was never imported.

Example:
    >>> from matplotlib.backends.backend_agg import FigureCanvasAgg
    >>> figure = CMSFigure(figsize=(4, 4))
    >>> _ = FigureCanvasAgg(figure)  # no pyplot: no display needed, no global figure state
    >>> figure.subplots().set_title("CMS")
    Text(0.5, 1.0, 'CMS')
    >>> figure.canvas.draw()  # drawn in the style, whatever the rcParams of the caller
    >>> figure._repr_png_()[:4]  # what a notebook shows
    b'\\x89PNG'
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib
import mplhep
from matplotlib.figure import Figure

__all__ = ["CMSFigure"]


class CMSFigure(Figure):
    """A figure that lays itself out and draws in mplhep's CMS style."""

    def draw(self, renderer: Any) -> None:
        with matplotlib.rc_context(mplhep.style.CMS):
            super().draw(renderer)

    def get_tightbbox(self, *args: Any, **kwargs: Any) -> Any:  # a notebook's "tight" bbox
        with matplotlib.rc_context(mplhep.style.CMS):
            return super().get_tightbbox(*args, **kwargs)

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=72)  # 10 inches: 720 pixels, a notebook's width
        return buffer.getvalue()
