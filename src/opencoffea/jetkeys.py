"""The payload and keys of jet energy corrections: one model, wherever they are written.

Jet corrections are named in three places, each time by :class:`JetKeys`:

- the payload manifest gives each era's (:class:`opencoffea.eras.EraJets`: ``JetKeys``
  with the jet algorithm and the JES sources the era offers);
- a YAML file may give some or all of them (``corrections: jets:``, a ``JetKeys`` with
  the options of a run), and the era's fill in the rest through :meth:`JetKeys.over`,
  the one place where the two meet;
- the corrections of a run hold them whole, with the payload's path
  (:class:`opencoffea.corrections.jets.JetCorrections`).

The keys of the single JEC levels are written nowhere: JME names them like the compound
key, ``L1L2L3Res`` replaced by the level (:func:`level_key`); type-1 MET takes its
``L1FastJet`` key so.

Why a module of its own, importing nothing of opencoffea but the errors: the
configuration (which checks the keys of a YAML file), the manifest and the corrections
(which use them) all build on it, and none may import the others backwards.

Example:
    >>> era = JetKeys(payload="jet_jerc", mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs",
    ...               uncertainty="Summer19UL16_V7_MC_{source}_AK4PFchs")
    >>> mine = JetKeys(mc_jec="Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs").over(era)
    >>> mine.payload, mine.uncertainty.format(source="Total")
    ('jet_jerc', 'Summer19UL16_V7_MC_Total_AK4PFchs')
    >>> level_key(mine.mc_jec, L1)
    'Summer19UL16_V7_MC_L1FastJet_AK4PFchs'
"""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from .errors import CorrectionError

__all__ = ["COMPOUND", "L1", "LEVELS", "DataPeriod", "JetKeys", "level_key"]

LEVELS = ("L1FastJet", "L2Relative", "L3Absolute", "L2L3Residual")
"""The JEC levels in the order they apply, each at the pt the ones before gave."""

L1 = LEVELS[0]
"""The pileup-offset level, which type-1 MET subtracts."""

COMPOUND = "L1L2L3Res"
"""The level name in JME's compound key: all of :data:`LEVELS`, in turn."""


def level_key(compound_key: str, level: str) -> str:
    """The key of one JEC level (or of the compound itself), as JME names it.

    Example:
        >>> level_key("Summer22_22Sep2023_V3_MC_L1L2L3Res_AK4PFPuppi", "L2Relative")
        'Summer22_22Sep2023_V3_MC_L2Relative_AK4PFPuppi'
    """
    if level == COMPOUND:
        return compound_key
    if COMPOUND not in compound_key:
        raise CorrectionError(
            f"cannot name the {level} key of {compound_key!r}: it has no {COMPOUND!r} in it"
        )
    return compound_key.replace(COMPOUND, level)


class DataPeriod(BaseModel):
    """A data-taking period: its runs, both ends included, and the JEC key of their data.

    A YAML file may write it short, ``[first, last, key]``; a period without a name is
    written back so (in a result's provenance, say).

    Example:
        >>> period = DataPeriod.model_validate(
        ...     [278820, 280385, "Summer19UL16_RunFGH_V7_DATA_L1L2L3Res_AK4PFchs"])
        >>> period.last, period.model_dump()[:2]
        (280385, [278820, 280385])
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    first: int = Field(gt=0, description="The first run of the period.")
    last: int = Field(gt=0, description="The last run of the period (included).")
    key: str = Field(
        description="The compound JEC key of the period's data (``..._DATA_L1L2L3Res_...``)."
    )
    period: str | None = Field(
        default=None, description="The name of the period (``B``, ``C``, ...), where known."
    )

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if len(value) != 3:
                raise ValueError("a data period is [first run, last run, key]")
            return dict(zip(("first", "last", "key"), value, strict=True))
        return value

    @model_validator(mode="after")
    def _runs(self) -> DataPeriod:
        if self.first > self.last:
            raise ValueError(f"run range {self.first}-{self.last} is empty")
        return self

    @model_serializer(mode="wrap")
    def _written_short(self, handler: SerializerFunctionWrapHandler) -> Any:
        return [self.first, self.last, self.key] if self.period is None else handler(self)


class JetKeys(BaseModel):
    """The payload of jet energy corrections and its keys, each missing where not given.

    ``mc_jec`` and the keys of ``data_jec`` are compound keys (``..._L1L2L3Res_...``).
    ``uncertainty`` is the JES key with ``{source}`` where the source goes (``Total``,
    ``Regrouped_BBEC1_2016``, ...). The JER keys come both or not at all: without them
    simulation is not smeared and has no JER variations.

    Example:
        >>> keys = JetKeys(mc_jec="Summer22_22Sep2023_V3_MC_L1L2L3Res_AK4PFPuppi")
        >>> keys.puppi, keys.smears, keys.named_keys()
        (True, False, ['Summer22_22Sep2023_V3_MC_L1L2L3Res_AK4PFPuppi'])
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    payload: str | None = Field(
        default=None,
        description="The JME payload holding the keys (``jet_jerc.json.gz``), a path (see "
        "``corrections.payloads``); given, it brings its own keys and the era's are not used.",
    )
    mc_jec: str | None = Field(
        default=None,
        description="The compound JEC key of simulation "
        "(``Summer19UL16_V7_MC_L1L2L3Res_AK4PFchs``).",
    )
    data_jec: tuple[DataPeriod, ...] = Field(
        default=(),
        description="The compound JEC keys of data, by run range: ``[first, last, key]`` "
        "each, both ends included; the periods may not overlap.",
    )
    uncertainty: str | None = Field(
        default=None,
        description="The JES uncertainty key, with ``{source}`` where the source's name goes "
        "(``Summer19UL16_V7_MC_{source}_AK4PFchs``).",
    )
    jer_resolution: str | None = Field(
        default=None, description="The JER key of the pt resolution (``..._MC_PtResolution_...``)."
    )
    jer_scale_factor: str | None = Field(
        default=None,
        description="The JER key of the resolution scale factor (``..._MC_ScaleFactor_...``).",
    )

    @field_validator("data_jec")
    @classmethod
    def _apart(cls, periods: tuple[DataPeriod, ...]) -> tuple[DataPeriod, ...]:
        ordered = sorted(periods, key=lambda p: p.first)
        for before, after in itertools.pairwise(ordered):
            if after.first <= before.last:
                raise ValueError(f"data JEC periods of {before.key!r} and {after.key!r} overlap")
        return periods  # in the order given, so that a mistake is reported where it was made

    @field_validator("uncertainty")
    @classmethod
    def _pattern(cls, key: str | None) -> str | None:
        if key is not None and "{source}" not in key:
            raise ValueError(f"uncertainty key pattern {key!r} has no '{{source}}' in it")
        return key

    @model_validator(mode="after")
    def _jer_pair(self) -> JetKeys:
        if (self.jer_resolution is None) != (self.jer_scale_factor is None):
            raise ValueError("give both JER keys (jer_resolution and jer_scale_factor) or neither")
        return self

    @property
    def puppi(self) -> bool:
        """PUPPI jets (``..._AK4PFPuppi``): their MET is PuppiMET, not the PF MET."""
        return "Puppi" in (self.mc_jec or "")

    @property
    def smears(self) -> bool:
        """Whether simulation is smeared (the JER keys are given)."""
        return self.jer_resolution is not None

    def given(self) -> dict[str, Any]:
        """The payload and keys given (not missing, not empty), by name: the keys alone, also
        of a model that has more (the options of a YAML file, the algorithm of an era).

        Example:
            >>> JetKeys(mc_jec="A_MC_L1L2L3Res_AK4PFchs").given()
            {'mc_jec': 'A_MC_L1L2L3Res_AK4PFchs'}
        """
        values = {name: getattr(self, name) for name in JetKeys.model_fields}
        return {name: value for name, value in values.items() if value}

    def over(self, defaults: JetKeys | None) -> JetKeys:
        """These keys, those not given taken from ``defaults`` (an era's): the one merge.

        A payload given brings its own keys, and then ``defaults`` give nothing: an era's
        keys name corrections of the era's payload. The result is checked as a whole (the
        JER keys both or neither, say).

        Example:
            >>> era = JetKeys(payload="jet_jerc", mc_jec="A_MC_L1L2L3Res_AK4PFchs")
            >>> JetKeys().over(era).mc_jec, JetKeys(payload="mine.json").over(era).mc_jec
            ('A_MC_L1L2L3Res_AK4PFchs', None)
        """
        if self.payload is not None or defaults is None:
            return JetKeys(**self.given())
        return JetKeys(**{**defaults.given(), **self.given()})

    def named_keys(self) -> list[str]:
        """The keys given, in order: the MC JEC, the data JEC by period, the JES pattern and
        the JER keys (what the provenance of a result lists)."""
        keys = [self.mc_jec, *(p.key for p in self.data_jec), self.uncertainty]
        keys += [self.jer_resolution, self.jer_scale_factor]
        return [key for key in keys if key]
