"""Session-wide test settings: one shared cache of the containers' Python environments.

The sandbox builds one environment per requirement set; tests and the site processes they start (which
inherit this variable) reuse the same folder instead of building the same environments again.
"""

import os
import tempfile
from pathlib import Path

ENV_CACHE = Path(tempfile.gettempdir()) / "medperf-test-envs"

os.environ.setdefault("MEDPERF_SITE_ENV_CACHE", str(ENV_CACHE))
