"""Decryption of Velt's encrypted webhook payloads: an AES-256-CBC body whose key is
wrapped with the receiver's RSA public key (OAEP, SHA-256)."""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
    load_pem_private_key,
)

from ..exceptions import VeltConfigurationError

#: The fields of an encrypted delivery (Velt's ``WebhookV1PayloadEncrypted``).
ENCRYPTED_FIELDS = ("encryptedData", "encryptedKey", "iv")

_WHITESPACE = re.compile(r"\s+")
_lock = threading.Lock()
#: The last key loaded, by its setting value: loading and checking an RSA key costs
#: milliseconds, and a changed setting simply misses the cache.
_cached: tuple[str, rsa.RSAPrivateKey] | None = None


class DecryptionError(ValueError):
    """An encrypted payload that cannot be decrypted with the configured key."""


def b64decode(value: Any, what: str) -> bytes:
    """Strict standard base64 (line breaks and spaces ignored) → bytes."""
    if not isinstance(value, str):
        raise DecryptionError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(_WHITESPACE.sub("", value), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError(f"{what} is not valid base64") from None


def parse_private_key(text: str) -> rsa.RSAPrivateKey:
    """An unencrypted RSA private key from PEM text (PKCS#1 or PKCS#8), or from the
    bare base64 of its DER bytes (the form Velt's console shows for the public key).

    Raises :class:`VeltConfigurationError` without quoting the key.
    """
    data = text.strip()
    try:
        if data.startswith("-----BEGIN"):
            key = load_pem_private_key(data.encode("ascii"), password=None)
        else:
            key = load_der_private_key(b64decode(data, "the key"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm) as err:
        raise VeltConfigurationError(
            'VELT["WEBHOOK_PRIVATE_KEY"] is not an unencrypted RSA private key '
            "(PEM, or base64 DER)."
        ) from err
    if not isinstance(key, rsa.RSAPrivateKey):
        raise VeltConfigurationError('VELT["WEBHOOK_PRIVATE_KEY"] must be an RSA key.')
    return key


def private_key(text: str) -> rsa.RSAPrivateKey:
    """:func:`parse_private_key`, cached for the current setting value."""
    global _cached
    with _lock:
        if _cached is not None and _cached[0] == text:
            return _cached[1]
    key = parse_private_key(text)
    with _lock:
        _cached = (text, key)
    return key


def is_encrypted(body: Mapping[str, Any]) -> bool:
    """Whether a delivery body is an encrypted envelope."""
    return "encryptedData" in body and "encryptedKey" in body


def decrypt(body: Mapping[str, Any], key: rsa.RSAPrivateKey) -> bytes:
    """The plaintext bytes of an encrypted envelope ``{encryptedData, encryptedKey, iv}``.

    Raises :class:`DecryptionError` for a malformed envelope, a key wrapped for another
    RSA key, or a corrupt body (bad padding).
    """
    wrapped = b64decode(body.get("encryptedKey"), "encryptedKey")
    iv = b64decode(body.get("iv"), "iv")
    data = b64decode(body.get("encryptedData"), "encryptedData")
    try:
        aes_key = key.decrypt(
            wrapped,
            OAEP(
                mgf=MGF1(algorithm=hashes.SHA256()),
                algorithm=hashes.SHA256(),
                label=None,
            ),
        )
    except ValueError:
        raise DecryptionError("the payload key cannot be unwrapped") from None
    if len(aes_key) != 32 or len(iv) != 16 or not data or len(data) % 16:
        raise DecryptionError("the encrypted payload has the wrong shape")
    decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionError("the encrypted payload is corrupt") from None
