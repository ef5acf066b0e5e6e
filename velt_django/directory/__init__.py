"""User directories: where ``users/get`` and ``anonymous-users/resolve`` look users up."""

from __future__ import annotations

from ..conf import velt_settings
from ..exceptions import VeltConfigurationError
from .base import Member, User, UserDirectory
from .model import DjangoUserDirectory
from .mongo import MongoUserDirectory


def get_directory() -> UserDirectory:
    """An instance of ``VELT["USER_DIRECTORY_CLASS"]``.

    Raises :class:`VeltConfigurationError` when the class is not a
    :class:`UserDirectory` or cannot be set up from the settings.
    """
    cls = velt_settings.USER_DIRECTORY_CLASS
    if not (isinstance(cls, type) and issubclass(cls, UserDirectory)):
        raise VeltConfigurationError(
            'VELT["USER_DIRECTORY_CLASS"] must name a UserDirectory subclass.'
        )
    return cls()


__all__ = [
    "DjangoUserDirectory",
    "Member",
    "MongoUserDirectory",
    "User",
    "UserDirectory",
    "get_directory",
]
