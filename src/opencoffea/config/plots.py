"""``plots:`` and ``yields:`` of the YAML file: the figures and the yields table of a result.

Example:
    >>> Plot(stack=["ZZ"], data="Data").legend
    'upper right'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import ConfigModel

__all__ = ["Annotation", "LegendLocation", "Plot", "SystBand", "Yields"]

LegendLocation = Literal[
    "best",
    "upper right",
    "upper left",
    "lower left",
    "lower right",
    "right",
    "center left",
    "center right",
    "lower center",
    "upper center",
    "center",
]
"""Where a legend may go: matplotlib's locations."""


class Annotation(ConfigModel):
    """A text on a figure: ``{text: "J/ψ", x: 3.097}`` sits just above what is drawn at x.

    Example:
        >>> Annotation(text="Z", x=91.19).y is None
        True
    """

    text: str = Field(description="The text (mathtext allowed: ``$\\Upsilon$``).")
    x: float = Field(description="Where it is centred, on the x axis (in its units).")
    y: float | None = Field(
        default=None, description="Its height (default: just above what is drawn at x)."
    )


class SystBand(ConfigModel):
    """The uncertainty band of a plot's prediction (:mod:`opencoffea.plotting.band`).

    ``sources`` are the variations of the result's ``systematic`` axis (``jesTotal`` for
    ``jesTotalUp``/``Down``) and the ``normalisation:`` uncertainties (``lumi``,
    ``xsec_<group>``) taken into it; ``stat`` says whether the simulation's statistical
    uncertainty joins them in quadrature (``merge``) or is drawn apart (``separate``).

    Example:
        >>> SystBand().sources, SystBand(sources=["lumi"], stat="separate").stat
        ('all', 'separate')
    """

    sources: Literal["all"] | list[str] = Field(
        default="all", description="The uncertainties in the band: all, or a list of names."
    )
    stat: Literal["merge", "separate"] = Field(
        default="merge",
        description="The simulation's statistical uncertainty joins the band (merge) or is "
        "drawn apart (separate).",
    )


class Plot(ConfigModel):
    """A stacked data/simulation figure of one histogram (drawn by :mod:`opencoffea.plotting`).

    ``stack`` groups are filled and stacked in the order given (the first at the bottom);
    each ``signal`` group is a line on top of the whole stack; ``data`` is one group, drawn
    as black points with Poisson error bars. ``select`` picks one value of a category axis
    (``{channel: 4mu}``); category axes not selected are summed over. ``colors`` takes any
    matplotlib colour or a ROOT colour name (``kAzure-9``); ``labels`` the legend text of a
    group (mathtext allowed); ``annotations`` are texts at places of the x axis (the
    resonances of a mass spectrum).

    Example:
        >>> Plot(stack=["ZZ"], signal=["H"], data="Data", ratio=True).ratio_ylim
        (0.0, 2.0)
    """

    histogram: str | None = Field(
        default=None, description="The histogram drawn (default: the one of the plot's name)."
    )
    stack: list[str] = Field(
        default_factory=list, description="Groups filled and stacked, the first at the bottom."
    )
    signal: list[str] = Field(
        default_factory=list, description="Groups drawn as lines on top of the stack."
    )
    data: str | None = Field(
        default=None, description="The group drawn as points with Poisson error bars."
    )
    label: str = Field(
        default="CMS Open Data",
        description="The experiment's label: its first word bold (``CMS``), the rest after it.",
    )
    lumi_label: str | None = Field(
        default=None,
        description="The text at the top right (default: luminosity and energy, "
        "``11.6 fb$^{-1}$ (8 TeV)``).",
    )
    energy: float | None = Field(
        default=None,
        gt=0,
        description="√s in TeV, shown after the luminosity (default: from the eras' years).",
    )
    xlabel: str | None = Field(default=None, description="The x label (default: the axis's).")
    ylabel: str | None = Field(
        default=None, description="The y label (default: ``Events / 3 GeV`` and the like)."
    )
    logx: bool = Field(default=False, description="A logarithmic x axis.")
    logy: bool = Field(default=False, description="A logarithmic y axis.")
    ratio: bool = Field(
        default=False, description="A data/prediction panel below (needs ``data``)."
    )
    colors: dict[str, str] = Field(
        default_factory=dict,
        description="Group → colour: any matplotlib colour, or a ROOT name (``kAzure-9``).",
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Group → legend text (mathtext allowed)."
    )
    select: dict[str, str] = Field(
        default_factory=dict,
        description="Category axis → the value drawn; category axes not given are summed.",
    )
    xlim: tuple[float, float] | None = Field(default=None, description="The x range drawn.")
    ylim: tuple[float, float] | None = Field(default=None, description="The y range drawn.")
    ratio_ylim: tuple[float, float] = Field(
        default=(0.0, 2.0), description="The y range of the ratio panel."
    )
    legend: LegendLocation = Field(default="upper right", description="Where the legend goes.")
    annotations: list[Annotation] = Field(
        default_factory=list,
        description="Texts on the figure, at a place of the x axis: ``[{text: Z, x: 91.19}]``.",
    )
    syst_band: SystBand | None = Field(
        default_factory=SystBand,
        description="The uncertainty band of the prediction, drawn when the result has "
        "variations or ``normalisation:`` declares uncertainties; null: none.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Plot:
        drawn = [*self.stack, *self.signal, *([self.data] if self.data else [])]
        twice = sorted({group for group in drawn if drawn.count(group) > 1})
        if twice:
            raise ValueError(
                f"each group is drawn once; listed more than once in stack, signal and "
                f"data: {', '.join(map(repr, twice))}"
            )
        if not drawn:
            raise ValueError("nothing to draw: give 'stack', 'signal' or 'data' groups")
        if self.ratio and (self.data is None or not (self.stack or self.signal)):
            raise ValueError("'ratio' needs 'data' and at least one 'stack' or 'signal' group")
        for key in ("xlim", "ylim", "ratio_ylim"):
            limits = getattr(self, key)
            if limits is not None and limits[1] <= limits[0]:
                raise ValueError(f"'{key}': the upper limit must be above the lower one")
        for key, log in (("xlim", self.logx), ("ylim", self.logy)):
            limits = getattr(self, key)
            if log and limits is not None and limits[0] <= 0:
                raise ValueError(f"'{key}' of a log axis must start above 0")
        return self


class Yields(ConfigModel):
    """The yields table (``opencoffea yields``) and a reference table to compare it with.

    ``histogram`` (default: the first plotted one) is the histogram the yields are taken
    from; ``reference`` is ``{group: {category: [value, error]}}`` (a bare number: no
    error), where a category is a value of the histogram's first category axis, or
    ``combined`` for the sum over it.

    Example:
        >>> Yields(reference={"Data": {"4mu": 13, "combined": [40, 6.3]}}).reference["Data"]
        {'4mu': 13.0, 'combined': (40.0, 6.3)}
    """

    histogram: str | None = Field(
        default=None,
        description="The histogram the yields are taken from (default: the first plotted one).",
    )
    reference: dict[str, dict[str, float | tuple[float, float]]] = Field(
        default_factory=dict,
        description="Published yields to compare with: group → {category → [value, error]} "
        "(a bare number: no error); ``combined`` is the sum over the categories.",
    )
