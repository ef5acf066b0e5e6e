"""velt_django's ``velt_check``, saying how to get a database when none runs."""

from __future__ import annotations

from velt_django.management.commands import velt_check

from ...apps import no_database, no_database_help


class Command(velt_check.Command):
    """The same checks; when the example has no database, the ``mongodb`` line says how
    to get one instead of only that ``VELT["MONGODB_URI"]`` is unset.

    Listed before ``velt_django`` in ``INSTALLED_APPS`` so that Django picks this
    command over the original.
    """

    def check_mongodb(self) -> velt_check.Result:
        result = super().check_mongodb()
        if result.status == "fail" and no_database():
            return velt_check.Result(
                result.name, result.status, no_database_help(), result.ms
            )
        return result
