"""What a payload file says of itself: its corrections, their inputs and output.

Behind ``opencoffea corrections list FILE``.

Example:
    >>> jme = corrections_root / "POG/JME/2016postVFP_UL/jet_jerc.json.gz"
    >>> text, corrections = describe_payload(jme)
    >>> compound = [c.name for c in corrections if c.compound]
    >>> len(corrections), compound[0]
    (78, 'Summer19UL16_RunFGH_V7_DATA_L1L2L3Res_AK4PFchs')
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CorrectionError

__all__ = ["CorrectionInfo", "describe_payload"]


@dataclass(frozen=True)
class CorrectionInfo:
    """What a payload says of one of its corrections (``correction summary``, in short).

    ``inputs`` and ``output`` are ``(name, type, description)``; ``version`` is None for a
    compound correction, which has none.

    Example:
        >>> pileup = corrections_root / "POG/LUM/2016postVFP_UL/puWeights.json.gz"
        >>> weights = describe_payload(pileup)[1][0]
        >>> weights.version, weights.output[:2], weights.compound
        (0, ('weight', 'real'), False)
    """

    name: str
    version: int | None
    description: str | None
    inputs: tuple[tuple[str, str, str | None], ...]
    output: tuple[str, str, str | None]
    compound: bool = False


def describe_payload(path: str | os.PathLike) -> tuple[str | None, list[CorrectionInfo]]:
    """The description of a payload file and of each of its corrections, compound ones last.

    Only the headers are read (the JSON, not the correctionlib model of every bin), so a
    large payload is described at once.

    Example:
        >>> pileup = corrections_root / "POG/LUM/2016postVFP_UL/puWeights.json.gz"
        >>> text, corrections = describe_payload(pileup)
        >>> corrections[0].name, [i[0] for i in corrections[0].inputs]
        ('Collisions16_UltraLegacy_goldenJSON', ['NumTrueInteractions', 'weights'])
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    except (OSError, ValueError, EOFError) as err:
        raise CorrectionError(f"{path}: not a correctionlib payload ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("corrections"), list):
        raise CorrectionError(f"{path}: not a correctionlib payload (no 'corrections' list)")
    try:
        infos = [_info(c, compound=False) for c in data["corrections"]]
        infos += [_info(c, compound=True) for c in data.get("compound_corrections") or []]
    except (KeyError, TypeError) as err:
        raise CorrectionError(f"{path}: a correction without {err} (not a valid payload)") from None
    return data.get("description"), infos


def _info(correction: dict[str, Any], *, compound: bool) -> CorrectionInfo:
    def variable(v: dict[str, Any]) -> tuple[str, str, str | None]:
        return (v["name"], v["type"], v.get("description"))

    return CorrectionInfo(
        name=correction["name"],
        version=None if compound else correction.get("version"),
        description=correction.get("description"),
        inputs=tuple(variable(v) for v in correction["inputs"]),
        output=variable(correction["output"]),
        compound=compound,
    )
