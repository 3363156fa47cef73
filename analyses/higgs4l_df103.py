"""H → ZZ → 4ℓ as the ROOT tutorial df103 computes it, to the bit: ``HiggsToFourLeptonsDF103``.

The selection is the one of ``higgs4l.py`` (whose docstring lists the cuts), with two of its
:class:`Conventions` changed to df103's, so that the tutorial's numbers can be compared bit for
bit. Name it in the YAML file as ``processor: ../analyses/higgs4l_df103.py:HiggsToFourLeptonsDF103``
and give each ZZ sample only its own channel (``metadata: {channels: [4mu]}`` and so on), as
df103 does.

df103's integer "best mass"
    ``reco_zz_to_4l`` keeps its running best pair mass in ``auto best_mass = -1;``, an ``int``,
    so ``best_mass = this_mass`` truncates it: the next opposite-charge pair replaces the best
    whenever |91.2 − m| < |91.2 − ⌊m_best⌋|. A best pair at 90.9 GeV is remembered as
    90 and loses to a later pair at 91.9 GeV; a best pair at 91.9 (remembered as 91) is not
    displaced by a later 91.5. Which pairing wins then depends on the order of the leptons, and
    the other pairing is sometimes taken (``compute_z_masses_4l`` re-sorts the two masses, so Z1
    is still the closer *of the pairing taken*). In an event whose opposite-charge pairs are all
    above 183.4 GeV nothing replaces −1, the "pair" is lepton 0 with itself, and its ΔR of 0
    rejects the event. The C++ and the Python (``df103_NanoAODHiggsAnalysis_python.h``)
    versions both have it. m4ℓ does not depend on the pairing, so only events whose Z-mass cuts
    it turns show in m4ℓ: on synthetic ZZ → 4ℓ about 1 % of the selected 4μ and 4e events get
    another pairing and 0.4 % pass or fail differently; H → ZZ* (one Z far off shell), none.

    It is a bug, not physics: ``higgs4l.py``'s :class:`HiggsToFourLeptons` takes the pair
    truly closest to 91.2 GeV.
Masses in single precision
    df103 stores the Z and H masses as ``float`` (``RVec<float>``, ``float``): here they are
    rounded so too, before they are cut on and filled.
Not reproduced
    df103 evaluates ΔR in single precision (older versions without wrapping Δφ at ±π); here it
    is double, which differs only for a pair within ~10⁻⁸ of ΔR = 0.02.

Example:
    >>> masses, opposite = np.array([[90.9, 91.9]]), np.array([[True, True]])
    >>> best_pair(masses, opposite), truncated_best_pair(masses, opposite)
    (array([0]), array([1]))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from opencoffea.processor import import_analysis

# The main module, imported as the framework imports an analysis (so it travels to dask
# workers by value too). Functions here use the names bound below, not the module itself.
higgs4l = import_analysis(Path(__file__).with_name("higgs4l.py"))
best_pair = higgs4l.best_pair


def truncated_best_pair(masses: np.ndarray, opposite: np.ndarray) -> np.ndarray:
    """df103's choice of the first Z pair: a running best mass kept as an ``int``, from −1.

    Example:
        >>> masses = np.array([[91.9, 91.5], [200.0, 190.0]])
        >>> truncated_best_pair(masses, np.ones((2, 2), dtype=bool))
        array([ 0, -1])
    """
    return best_pair(masses, opposite, start=-1.0, remember=np.trunc)


DF103 = higgs4l.Conventions(best_pair=truncated_best_pair, precision=np.float32)
"""df103's conventions: the truncated running best mass; masses stored as ``float``."""


class HiggsToFourLeptonsDF103(higgs4l.HiggsToFourLeptons):
    """H → ZZ → 4ℓ with df103's conventions (see the module): its numbers, bit for bit.

    Example:
        >>> from opencoffea import load_config
        >>> config = load_config("configs/higgs4l_demo.yaml")
        >>> df103 = HiggsToFourLeptonsDF103(config)
        >>> df103.conventions.precision, df103.conventions.best_pair is truncated_best_pair
        (<class 'numpy.float32'>, True)
    """

    conventions = DF103
