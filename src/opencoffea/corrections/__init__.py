"""Official CMS corrections through correctionlib.

``payloads`` finds and loads correctionlib payloads (once per worker process) and
evaluates a correction by the names of its declared inputs, so that the same code works
whatever the input order or number of a payload version. The physics modules build on it.

Example:
    >>> path = payload_path(corrections_root, "LUM", "2016postVFP_UL", "puWeights.json.gz")
    >>> pileup = load_payload(path)["Collisions16_UltraLegacy_goldenJSON"]
    >>> weights = evaluate(pileup, NumTrueInteractions=np.array([10.0, 30.0]), weights="nominal")
    >>> np.round(weights, 3)
    array([0.232, 1.483])
"""

from .payloads import evaluate, load_payload, payload_path

__all__ = ["evaluate", "load_payload", "payload_path"]
