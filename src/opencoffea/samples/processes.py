"""The names of the processes the generator knows: all that checking a YAML file needs of it.

A module of its own, importing nothing, so that the ``generate:`` datasets of a YAML file are
checked (:class:`opencoffea.config.GeneratedSample`) without importing the generator, which
brings vector and awkward with it (0.3 to 0.4 s). Each name is simulated by
:mod:`.simulation`; ``dimuon_data`` is ``dy_mumu`` in its data flavour.

Example:
    >>> [p for p in PROCESSES if "4l" in p]
    ['zz4l', 'hzz4l']
"""

from __future__ import annotations

__all__ = ["PROCESSES"]

PROCESSES: tuple[str, ...] = ("dy_mumu", "dy_ee", "zz4l", "hzz4l", "ttbar", "dimuon_data")
"""The processes `generate` knows (see the module's docstring)."""
