"""The settings the suite serves: the example project's (configured by the environment,
example_project/settings.py), with the per-principal rate limit off, since a load
generator is one principal sending far more than 1,200 requests a minute.

In the suite's own process (``VELT_BENCH_CAPTURE`` set) velt_django's MongoDB client
also gets the command listener the raw side records with (``benchmarks.suite.raw``).
"""

from __future__ import annotations

import os

from example_project.settings import *  # noqa: F403
from example_project.settings import VELT

VELT["THROTTLE_RATE"] = None

if os.environ.get("VELT_BENCH_CAPTURE"):
    from benchmarks.suite.raw import COMMANDS

    VELT["MONGO_CLIENT_OPTIONS"] = {"event_listeners": [COMMANDS]}
