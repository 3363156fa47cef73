"""``normalisation:``, ``inference:`` and ``hepdata:`` of the YAML file: from histograms to a
measurement.

``normalisation`` declares the uncertainties that change only the rate of a prediction (the
luminosity, a group's cross section): the uncertainty band of every plot takes them, and the
statistical model makes them log-normal (``lnN``) nuisances. ``inference`` says which histogram,
channels, signal and background groups and systematics make the model of ``opencoffea export
datacard|pyhf`` and ``opencoffea fit``; ``hepdata`` what ``opencoffea export hepdata`` records
beside each plot's numbers.

Example:
    >>> Normalisation(lumi=0.026, xsec={"ZZ": 0.1}).kappas("ZZ", "mc")
    {'lumi': 1.026, 'xsec_ZZ': 1.1}
    >>> Inference(histogram="m4l", channel_axis="channel", signal=["H"]).mc_stats
    10.0
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import IDENTIFIER, ConfigModel, Name

__all__ = ["HEPDataConfig", "Inference", "Normalisation"]


class Normalisation(ConfigModel):
    """Uncertainties on the rate only, relative (0.026 is 2.6 %): each a factor κ = 1 + value
    of a log-normal, which moves a prediction by rate · (κ − 1).

    ``lumi`` scales every simulated group together (one nuisance, correlated across them);
    each ``xsec`` entry the group it names. They are named ``lumi`` and ``xsec_<group>`` in a
    plot's band and in the statistical model.

    Example:
        >>> n = Normalisation(lumi=0.026, xsec={"ZZ": 0.1})
        >>> n.sources, n.kappas("Data", "data")
        (['lumi', 'xsec_ZZ'], {})
    """

    lumi: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="The relative uncertainty of the luminosity (0.026: 2.6 %), on every "
        "simulated group.",
    )
    xsec: dict[str, float] = Field(
        default_factory=dict,
        description="Group → the relative uncertainty of its cross section (0.1: 10 %).",
    )

    @field_validator("xsec")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        for group, size in value.items():
            if not 0 < size < float("inf"):
                raise ValueError(f"the uncertainty of {group!r} must be a number above 0")
        return value

    @property
    def sources(self) -> list[str]:
        """The names of the uncertainties, as the band and the model call them."""
        return (["lumi"] if self.lumi else []) + [f"xsec_{group}" for group in self.xsec]

    def kappas(self, group: str, kind: str) -> dict[str, float]:
        """``{source: κ}`` of the uncertainties on ``group`` (of kind ``mc`` or ``data``)."""
        kappas = {"lumi": 1 + self.lumi} if self.lumi and kind == "mc" else {}
        if group in self.xsec:
            kappas[f"xsec_{group}"] = 1 + self.xsec[group]
        return kappas


class Inference(ConfigModel):
    """The statistical model made of a result: channels, processes, nuisances, the range.

    Each value of ``channel_axis`` in ``channels`` (default: all) is a channel; other category
    axes are summed unless ``select`` fixes them. The ``signal`` groups are scaled by the
    signal strength μ; the ``backgrounds`` (default: every other simulated group) are not.
    Variations on the result's ``systematic`` axis (``jesTotalUp``/``Down`` make the source
    ``jesTotal``) are ``shape`` nuisances, or rate-only (``rate``: an asymmetric lnN from their
    yields); ``normalisation:`` adds its lnN nuisances. ``processes`` names the groups in the
    datacard and the workspace (default: the group's name in letters, digits and ``_``).

    Example:
        >>> spec = Inference(histogram="m4l", channel_axis="channel", signal=["H"],
        ...                  rate=["pileup"], range=(105, 140))
        >>> spec.shape, spec.range
        ('all', (105.0, 140.0))
    """

    histogram: Name = Field(description="The histogram the model is made of.")
    channel_axis: str | None = Field(
        default=None,
        description="The category axis whose values are the channels (none: one channel).",
    )
    channels: list[str] = Field(
        default_factory=list,
        description="The values of ``channel_axis`` made channels (default: all of them).",
    )
    select: dict[str, str] = Field(
        default_factory=dict,
        description="Other category axes → the value taken; those not given are summed.",
    )
    signal: list[str] = Field(
        min_length=1, description="The signal groups, scaled by the signal strength μ."
    )
    backgrounds: list[str] = Field(
        default_factory=list,
        description="The background groups (default: every simulated group not a signal).",
    )
    data: str | None = Field(
        default=None, description="The observed group (default: the group of the data)."
    )
    shape: Literal["all"] | list[str] = Field(
        default="all",
        description="The variations taken as shape nuisances (``jesTotal`` for "
        "``jesTotalUp``/``Down``): all those of the result not in ``rate``, or a list.",
    )
    rate: list[str] = Field(
        default_factory=list,
        description="Variations taken as rate only: an asymmetric lnN of their yields.",
    )
    range: tuple[float, float] | None = Field(
        default=None,
        description="The range of the observable fitted: the bins whose centre is inside it "
        "(default: all bins).",
    )
    processes: dict[str, str] = Field(
        default_factory=dict,
        description="Group → its process name in the datacard and the workspace (default: "
        "the group's name in letters, digits and '_').",
    )
    mc_stats: float | None = Field(
        default=10.0,
        ge=0,
        description="The simulation's statistical uncertainty per bin (Combine's autoMCStats "
        "with this event threshold, pyhf's staterror); null: none.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Inference:
        both = sorted(set(self.signal) & set(self.backgrounds))
        if both:
            raise ValueError(f"a group is signal or background, not both: {', '.join(both)}")
        if self.channels and self.channel_axis is None:
            raise ValueError("'channels' are values of 'channel_axis': give it")
        if self.channel_axis is not None and self.channel_axis in self.select:
            raise ValueError(f"{self.channel_axis!r} is the channel axis: do not select it")
        if isinstance(self.shape, list) and set(self.shape) & set(self.rate):
            raise ValueError("a variation is a 'shape' or a 'rate' nuisance, not both")
        if self.range is not None and self.range[1] <= self.range[0]:
            raise ValueError("'range': the upper end must be above the lower one")
        for group, name in self.processes.items():
            if not re.match(IDENTIFIER, name):
                raise ValueError(
                    f"process name {name!r} (of {group!r}): letters, digits and '_' only, "
                    "not a digit first"
                )
        return self


class HEPDataConfig(ConfigModel):
    """What a HEPData record of the plots says besides their numbers.

    Every table gets the centre-of-mass energy and the luminosity as qualifiers (and the
    ``cmenergies`` keyword); ``plots`` picks the plots made tables (default: all).

    Example:
        >>> HEPDataConfig(sqrt_s=[7000, 8000]).plots
        []
    """

    sqrt_s: list[float] = Field(
        min_length=1,
        description="√s of the data in GeV (several for a figure of more than one energy).",
    )
    luminosity: str | None = Field(
        default=None,
        description="The luminosity qualifier (default: from ``luminosity``, '11.6 fb$^{-1}$').",
    )
    plots: list[str] = Field(
        default_factory=list, description="The plots made tables (default: all of them)."
    )
    comment: str = Field(
        default="Made with opencoffea.", description="The submission's comment (its abstract)."
    )
    reactions: list[str] = Field(
        default_factory=list,
        description="The reactions keyword of each table (``P P --> HIGGS X``).",
    )
