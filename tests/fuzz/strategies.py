"""Hypothesis strategies of the fuzz tier: hostile JSON values, bodies mutated one field
at a time from a valid request, raw JSON text no encoder would write (``NaN``, lone
surrogate escapes, numbers past a double, nesting past any recursion limit) and
multipart bodies built byte by byte, then truncated or garbled.

A body is sent as bytes; :class:`Raw` marks a value that is spliced into the JSON text
as it is (``json.dumps`` could not produce it).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

#: A path into a JSON document: dict keys and list indices, outermost first.
Path = tuple[Any, ...]


@dataclass(frozen=True)
class Raw:
    """JSON text put into the body as it is, where a value stands."""

    text: str


# ---- hostile values -------------------------------------------------------------------

#: MongoDB query and update operators where an id, a filter or a map belongs.
OPERATORS: list[Any] = [
    {"$ne": None},
    {"$gt": ""},
    {"$gte": None},
    {"$regex": ".*"},
    {"$in": ["acme-corp", "globex"]},
    {"$nin": []},
    {"$exists": True},
    {"$where": "sleep(1000)"},
    {"$or": [{}, {"organizationId": {"$ne": None}}]},
    {"$expr": {"$eq": [1, 1]}},
    {"$set": {"organizationId": "globex"}},
    {"$function": {"body": "1", "args": [], "lang": "js"}},
    [{"$ne": None}],
    ["acme-corp", {"$gt": ""}],
    "$where",
    "$ne",
    "{$ne: null}",
]

#: Strings that break naive handling: control characters, bidi marks, lone surrogates
#: (escaped as ``\\udXXX`` by ``json.dumps``), path and key syntax, huge lengths.
ODD_STRINGS: list[str] = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\u200f\u200e\u2066",
    "\ufeff",
    "\ud800",
    "\udfff",
    "x\udc00y",
    "\U0001f680" * 3,
    "e\u0301" * 50,
    "../../etc/passwd",
    "a/b\\c",
    "%00%2e%2e",
    "a.b",
    "$x",
    "~tilde",
    "__proto__",
    "\r\nSet-Cookie: x=1",
    "<script>alert(1)</script>",
    "null",
    "NaN",
    "9" * 400,
    "x" * 513,
    "y" * 70_000,
]

NUMBERS: list[Any] = [
    0,
    -1,
    -0.0,
    1.5,
    2**31,
    2**53 + 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    10**300,
    1.7976931348623157e308,
    5e-324,
    True,
    False,
]

#: JSON text of values no encoder writes: non-finite numbers, numbers past a double or
#: past Python's integer-string limit, lone surrogate escapes, NUL, invalid syntax,
#: nesting deeper than any recursion limit.
RAW_VALUES: list[Raw] = [
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1e999"),
    Raw("-1E400"),
    Raw("1" * 5000),
    Raw("0.0000000000000000000000000000000000001e-400"),
    Raw('"\\ud800"'),
    Raw('"\\udfff\\ud800"'),
    Raw('"a\\u0000b"'),
    Raw('"\\u202e"'),
    Raw('{"\\ud800": 1}'),
    Raw('{"$ne": null, "$ne": 1}'),
    Raw("[" * 5000 + "]" * 5000),
    Raw('{"a":' * 3000 + "1" + "}" * 3000),
    Raw("[" * 60 + "]" * 60),
    Raw("01"),
    Raw("tru"),
    Raw('"\\x41"'),
    Raw("[1,]"),
    Raw('"unterminated'),
    Raw("\u0000"),
]


def deep(depth: int, leaf: Any = 1) -> Any:
    """A list/object nesting ``depth`` levels around ``leaf``, built without recursion."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)

#: Random JSON documents (what ``json.dumps`` can write).
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)

#: Anything hostile where one value stands.
hostile_values = st.one_of(
    st.sampled_from(OPERATORS),
    st.sampled_from(ODD_STRINGS),
    st.sampled_from(NUMBERS),
    st.sampled_from(RAW_VALUES),
    st.builds(deep, st.sampled_from([40, 70, 200, 900])),
    st.just([]),
    st.just({}),
    st.none(),
    json_values,
)

#: Hostile object keys: operators, MongoDB's unsafe key syntax, odd Unicode.
hostile_keys = st.sampled_from(
    ["$ne", "$gt", "$where", "$set", "a.b", "", " ", "\x00", "\ud800", "\u202e", "_id"]
    + ["x" * 600, "constructor", "__proto__"]
)


# ---- paths and one-field mutations ----------------------------------------------------


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every path below ``value`` (not the root itself), outermost first."""
    if isinstance(value, dict):
        children: Any = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        return
    for key, child in children:
        path = (*prefix, key)
        yield path
        yield from paths(child, path)


def _parent(body: Any, path: Path) -> Any:
    node = body
    for key in path[:-1]:
        node = node[key]
    return node


def replaced(body: Any, path: Path, value: Any) -> Any:
    """A deep copy of ``body`` with the value at ``path`` replaced by ``value``."""
    body = copy.deepcopy(body)
    _parent(body, path)[path[-1]] = value
    return body


def removed(body: Any, path: Path) -> Any:
    """A deep copy of ``body`` without the entry at ``path``."""
    body = copy.deepcopy(body)
    del _parent(body, path)[path[-1]]
    return body


def renamed(body: Any, path: Path, key: str) -> Any:
    """A deep copy of ``body`` whose object key at ``path`` is ``key`` instead (a list
    entry at ``path`` is left as it is)."""
    body = copy.deepcopy(body)
    parent = _parent(body, path)
    if isinstance(parent, dict):
        parent[key] = parent.pop(path[-1])
    return body


def added(body: Any, path: Path, key: str, value: Any) -> Any:
    """A deep copy of ``body`` with ``key: value`` beside the entry at ``path`` (or
    appended when that entry is a list item)."""
    body = copy.deepcopy(body)
    parent = _parent(body, path)
    if isinstance(parent, dict):
        parent[key] = value
    else:
        parent.append(value)
    return body


@st.composite
def mutated(draw: st.DrawFn, bases: list[dict[str, Any]]) -> Any:
    """One of ``bases`` (valid requests) with one field made hostile: replaced by a
    hostile value, removed, its key renamed to a hostile key, or a hostile sibling
    added. Bodies may hold :class:`Raw` values."""
    body = draw(st.sampled_from(bases))
    candidates = list(paths(body))
    if not candidates:
        return {draw(hostile_keys): draw(hostile_values)}
    path = draw(st.sampled_from(candidates))
    how = draw(st.sampled_from(["replace", "replace", "replace", "remove", "rename"]))
    if how == "replace":
        return replaced(body, path, draw(hostile_values))
    if how == "remove":
        return removed(body, path)
    if draw(st.booleans()):
        return renamed(body, path, draw(hostile_keys))
    return added(body, path, draw(hostile_keys), draw(hostile_values))


@st.composite
def random_bodies(draw: st.DrawFn, fields: list[str]) -> Any:
    """An object of the endpoint's own top-level field names (and a few others), each
    holding random JSON or a hostile value."""
    keys = st.one_of(st.sampled_from(fields), st.text(max_size=8), hostile_keys)
    values = st.one_of(json_values, hostile_values)
    return draw(st.dictionaries(keys, values, min_size=1, max_size=6))


# ---- encoding, raw text and garbling --------------------------------------------------

_MARK = "\x1eraw-{}\x1e"


def encode(body: Any) -> bytes:
    """The JSON bytes of ``body``, each :class:`Raw` spliced in as its text; lone
    surrogates in strings are written as ``\\udXXX`` escapes."""
    raws: list[str] = []

    def mark(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return _MARK.format(len(raws) - 1)
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(body))
    for index, raw in enumerate(raws):
        marker = json.dumps(_MARK.format(index))
        text = text.replace(marker, raw, 1)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def garbled(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` cut short, with a byte overwritten, with bytes inserted (invalid UTF-8,
    NUL, a BOM), or doubled."""
    how = draw(st.sampled_from(["truncate", "overwrite", "insert", "prefix", "double"]))
    if not data or how == "double":
        return data + data
    at = draw(st.integers(min_value=0, max_value=len(data) - 1))
    junk = draw(
        st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80", b"\\", b'"', b"{"])
    )
    if how == "truncate":
        return data[:at]
    if how == "overwrite":
        return data[:at] + junk + data[at + 1 :]
    if how == "insert":
        return data[:at] + junk + data[at:]
    return draw(st.sampled_from([b"\xef\xbb\xbf", b" \n\t", b"\x00", b"]"])) + data


@st.composite
def raw_bodies(draw: st.DrawFn, bases: list[dict[str, Any]]) -> bytes:
    """Bytes no JSON encoder writes: a valid request with one value replaced by raw
    text (``NaN``, ``1e999``, a lone surrogate escape, 5000 nested arrays …), or the
    valid request's bytes garbled."""
    body = draw(st.sampled_from(bases))
    candidates = list(paths(body))
    replace_one: bool = bool(candidates) and draw(st.booleans())
    if replace_one:
        path = draw(st.sampled_from(candidates))
        return encode(replaced(body, path, draw(st.sampled_from(RAW_VALUES))))
    return draw(garbled(encode(body)))


# ---- multipart ------------------------------------------------------------------------

BOUNDARY = "velt-fuzz-boundary-5f1c"


@dataclass(frozen=True)
class Part:
    """One part of a ``multipart/form-data`` body."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None
    headers: tuple[str, ...] = ()


def multipart(parts: list[Part], boundary: str = BOUNDARY) -> bytes:
    """The bytes of a form with ``parts``, closed by the final boundary."""
    out = bytearray()
    for part in parts:
        disposition = f'form-data; name="{part.name}"'
        if part.filename is not None:
            disposition += f'; filename="{part.filename}"'
        head = [f"Content-Disposition: {disposition}"]
        if part.content_type is not None:
            head.append(f"Content-Type: {part.content_type}")
        head.extend(part.headers)
        out += f"--{boundary}\r\n".encode()
        out += "\r\n".join(head).encode("utf-8", "surrogatepass") + b"\r\n\r\n"
        out += part.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


@dataclass(frozen=True)
class Upload:
    """A multipart request: its body, its ``Content-Type`` header and an optional
    declared ``Content-Length`` shorter than the body (a truncated upload)."""

    body: bytes
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}"
    content_length: int | None = None


def file_part(data: bytes, filename: str = "mock.png", mime: str = "image/png") -> Part:
    return Part("file", data, filename=filename, content_type=mime)


def request_text_part(request: Any, as_blob: bool = False) -> Part:
    data = request if isinstance(request, bytes) else encode(request)
    if as_blob:
        return Part("request", data, filename="blob", content_type="application/json")
    return Part("request", data)


odd_filenames = st.sampled_from(
    ["", "a\x00b.png", "\u202egnp.exe", "../../x.png", "x" * 400 + ".png", "\ud800.png"]
    + ['q"uote.png', "semi;colon.png", "CON", "name\r\nX-Injected: 1"]
)
odd_mimes = st.sampled_from(
    ["", "text/html", "image/svg+xml", "application/x-msdownload", "image/png; x=\x00"]
    + ["garbage", "a/b/c", "image/png" + " " * 300, "*/*", "text/plain; charset=utf-7"]
)


@st.composite
def hostile_uploads(
    draw: st.DrawFn, request_bases: list[dict[str, Any]], content: bytes, max_file: int
) -> Upload:
    """A Velt upload (``file`` + ``request``) with one thing made hostile: the request
    JSON (one field, or its raw text), the file part's name or type, the parts
    themselves (missing, repeated, extra, oversized), the boundary or the bytes (cut
    short, garbled, declared shorter than sent)."""
    request: Any = draw(st.sampled_from(request_bases))
    blob = draw(st.booleans())
    parts = [file_part(content), request_text_part(request, blob)]
    how = draw(
        st.sampled_from(
            ["request", "request", "raw-request", "file", "parts", "bytes", "header"]
        )
    )
    if how == "request":
        parts[1] = request_text_part(draw(mutated(request_bases)), blob)
    elif how == "raw-request":
        parts[1] = request_text_part(draw(raw_bodies(request_bases)), blob)
    elif how == "file":
        parts[0] = file_part(content, draw(odd_filenames), draw(odd_mimes))
    elif how == "parts":
        parts = draw(_hostile_parts(parts, max_file))
    body = multipart(parts)
    if how == "bytes":
        if draw(st.booleans()):
            return Upload(body, content_length=draw(st.integers(0, len(body) - 1)))
        return Upload(draw(garbled(body)))
    if how == "header":
        header = draw(
            st.sampled_from(
                [
                    "multipart/form-data",
                    "multipart/form-data; boundary=",
                    "multipart/form-data; boundary=other",
                    "multipart/form-data; boundary=" + "b" * 200,
                    f'multipart/form-data; boundary="{BOUNDARY}"; charset=no-such-codec',
                    f"multipart/form-data; boundary={BOUNDARY}; charset=utf-7",
                    f"MULTIPART/FORM-DATA; BOUNDARY={BOUNDARY}",
                ]
            )
        )
        return Upload(body, content_type=header)
    return Upload(body)


@st.composite
def _hostile_parts(draw: st.DrawFn, parts: list[Part], max_file: int) -> list[Part]:
    file, request = parts
    how = draw(
        st.sampled_from(
            [
                "no-file",
                "no-request",
                "two-files",
                "two-requests",
                "extra-parts",
                "many-fields",
                "oversized-file",
                "oversized-request",
                "metadata-only",
                "odd-part-name",
                "odd-headers",
            ]
        )
    )
    if how == "no-file":
        return [request]
    if how == "no-request":
        return [file]
    if how == "two-files":
        return [
            file,
            request,
            file_part(b"GIF89a" + b"\x00" * 64, "b.gif", "image/gif"),
        ]
    if how == "two-requests":
        return [file, request, Part("request", b'{"attachment": {}}')]
    if how == "extra-parts":
        extra = Part(draw(st.text(max_size=10)), draw(st.binary(max_size=64)))
        blob = Part("other", b"\x00" * 512, filename="x.bin")
        return [file, extra, blob, request]
    if how == "many-fields":
        return [file, request, *[Part(f"f{i}", b"1") for i in range(1200)]]
    if how == "oversized-file":
        return [file_part(b"\x89PNG" + b"\x00" * (max_file + 1)), request]
    if how == "oversized-request":
        return [file, Part("request", b'{"pad": "' + b"x" * (300 * 1024) + b'"}')]
    if how == "metadata-only":
        return [file, Part("metadata", request.data)]
    if how == "odd-part-name":
        name = draw(st.sampled_from(["", "fi\x00le", "file[]", "FILE", "\ud800"]))
        return [Part(name, file.data, file.filename, file.content_type), request]
    headers = draw(
        st.sampled_from(
            [
                ("Content-Transfer-Encoding: base64",),
                ("Content-Length: 99999999999999999999",),
                ("Content-Type: application/json; charset=utf-32",),
                ("X-" + "h" * 9000 + ": 1",),
            ]
        )
    )
    return [
        Part(file.name, file.data, file.filename, file.content_type, headers),
        request,
    ]
