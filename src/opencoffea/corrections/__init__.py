"""Official CMS corrections through correctionlib.

``payloads`` finds and loads correctionlib payloads (once per worker process) and
evaluates a correction by the names of its declared inputs, so that the same code works
whatever the input order or number of a payload version. The physics modules build on it.
"""

from .payloads import evaluate, load_payload, payload_path

__all__ = ["evaluate", "load_payload", "payload_path"]
