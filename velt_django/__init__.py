"""velt_django: a Django app that stores Velt's self-hosted collaboration data in MongoDB."""

__version__ = "0.1.0"
