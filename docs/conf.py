"""Sphinx configuration of the opencoffea documentation site.

Build it with ``pip install -e ".[docs]" && sphinx-build docs docs/_build/html``; CI adds
``-W --keep-going``: a warning is an error. The package must be installed (or on
``PYTHONPATH``): the API reference imports it, the YAML reference reads its models, and the
tutorials' kernel runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import opencoffea

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "opencoffea"
author = "opencoffea developers"
copyright = "opencoffea developers"
release = version = opencoffea.__version__

extensions = [
    "myst_nb",  # Markdown pages (MyST) and the notebooks of the tutorials
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",  # the docstrings' "Example:" sections
    "sphinxarg.ext",  # the CLI reference, from the argparse parser itself
    "generated",  # docs/_ext: the YAML reference, the extras, the tutorials' toctree
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]

# -- HTML: furo, the theme of scikit-hep's projects ---------------------------------------------
html_theme = "furo"
html_title = f"opencoffea {release}"

# -- MyST and the notebooks ---------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3
# A notebook stored without outputs is run at build time, offline, on generated samples or
# ../shared/data; one stored with its outputs is shown as it is. A cell that fails fails
# the build, as a warning would.
nb_execution_mode = "auto"
nb_execution_timeout = 600  # seconds a cell: generating a demo's samples takes a while
# The portal tutorial is shown without outputs. Run here, it would need the real portal (the
# network, in a build that is otherwise offline) or a stand-in started by this file (the tests'
# server and test data in the documentation's build, and a stand-in's file shown as the
# record's); tests/test_notebooks.py runs it against the stand-in.
nb_execution_excludepatterns = ["notebooks/04_portal.ipynb"]
nb_execution_raise_on_error = True
nb_execution_show_tb = True

# -- API reference ------------------------------------------------------------------------------
autosummary_generate = True
# Each name of the public API is documented once, as opencoffea.<name> (reference/api.rst):
# the pages of the modules it comes from leave it out, so that a reference to it has one target.
autosummary_context = {"public": opencoffea.__all__}
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
