"""The benchmark suite: ``python -m benchmarks.suite`` (see benchmarks/README.md).

The example project is served under gunicorn on a real database server and loaded over
HTTP, next to the raw driver work of each operation and next to a peer (velt-py behind
thin Django views, ``benchmarks.peer``) on the same server. Modules, one per concern:
``servers`` (database, gunicorn), ``corpus`` and ``seed`` (the data), ``operations``
(the table of what is measured), ``load`` (the HTTP load generator), ``raw`` (the
captured driver work, replayed), ``growth`` (round trips in process), ``report``.
"""
