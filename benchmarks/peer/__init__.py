"""The velt-py peer: Velt's Python SDK (velt-py) behind the thinnest Django views its
README shows, answering the same paths as velt_django so that one load generator can
drive both. See :mod:`benchmarks.peer.views` for what each operation maps to."""
