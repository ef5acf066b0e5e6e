"""Files of Velt's ``attachment`` and ``recorder.storage`` providers (docs/files.md).

One module per job:

* :mod:`.keys`: storage keys, public ids and safe file names;
* :mod:`.content_types`: which types are accepted, rendered inline, stored as given;
* :mod:`.signing`: the private URL of a file and its signature;
* :mod:`.storage`: the storage of a scope or record, and storing and removing files;
* :mod:`.uploads`: the streaming multipart parser of uploads;
* :mod:`.downloads`: presigned redirects for the private route;
* :mod:`.sweep`: objects no record points to (``velt_sweep_files``);
* :mod:`.checks`: the system checks of the file settings.

The names below were the module ``velt_django.files`` before it became this package,
and stay importable from here.
"""

from __future__ import annotations

from .content_types import base_type, served_inline, stored_content_type, type_allowed
from .downloads import presigned_url
from .keys import (
    MAX_NAME_LENGTH,
    SCOPES,
    clean_name,
    is_public_id,
    is_storage_key,
    new_public_id,
    new_storage_key,
)
from .signing import private_url, public_id_of_url, signature_valid, url_signature
from .storage import (
    StoredFile,
    external_record,
    get_storage,
    remove_file,
    storage_of,
    store,
)

__all__ = [
    "MAX_NAME_LENGTH",
    "SCOPES",
    "StoredFile",
    "base_type",
    "clean_name",
    "external_record",
    "get_storage",
    "is_public_id",
    "is_storage_key",
    "new_public_id",
    "new_storage_key",
    "presigned_url",
    "private_url",
    "public_id_of_url",
    "remove_file",
    "served_inline",
    "signature_valid",
    "store",
    "storage_of",
    "stored_content_type",
    "type_allowed",
    "url_signature",
]
