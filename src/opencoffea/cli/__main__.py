"""``python -m opencoffea.cli``: the ``opencoffea`` command."""

import sys

from . import main

sys.exit(main())
