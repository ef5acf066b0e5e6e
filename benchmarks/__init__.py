"""Benchmarks of velt_django (scripts) and the packages they run (``benchmarks.peer``)."""
