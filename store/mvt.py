"""A small Mapbox Vector Tile (MVT 2.1) codec for point layers, with no dependency.

PostGIS builds tiles itself (``ST_AsMVT``); SpatiaLite cannot, so
:mod:`store.tiles` aggregates in SQL and encodes the few hundred points of a tile
here. Only what roadcam's tiles hold is supported: point features with an id and
string, integer, float or boolean properties. :func:`decode_points` reads such
tiles back (also those PostGIS writes), for tests and benchmarks.

Wire format: https://github.com/mapbox/vector-tile-spec/tree/master/2.1
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

EXTENT = 4096
_POINT = 1
_MOVE_TO_ONE = (1 << 3) | 1  # command MoveTo, count 1


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _uint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _value(v: Any) -> bytes:
    if isinstance(v, bool):
        return _uint_field(7, int(v))
    if isinstance(v, int):
        return _uint_field(5, v) if v >= 0 else _uint_field(6, _zigzag(v))
    if isinstance(v, float):
        return _varint((3 << 3) | 1) + struct.pack("<d", v)
    return _field(1, str(v).encode())


def _packed(values: Iterable[int]) -> bytes:
    return b"".join(_varint(v) for v in values)


def encode_points(
    layer: str,
    points: Sequence[tuple[int | None, int, int, Mapping[str, Any]]],
    extent: int = EXTENT,
) -> bytes:
    """One layer of point features ``(id, x, y, properties)`` in tile coordinates (y down)."""
    keys: dict[str, int] = {}
    values: dict[tuple[type, Any], int] = {}
    features = []
    for fid, x, y, props in points:
        tags: list[int] = []
        for k, v in props.items():
            if v is None:
                continue
            tags += [keys.setdefault(k, len(keys)), values.setdefault((type(v), v), len(values))]
        body = b"" if fid is None else _uint_field(1, int(fid))
        body += _field(2, _packed(tags)) + _uint_field(3, _POINT)
        body += _field(4, _packed([_MOVE_TO_ONE, _zigzag(int(x)), _zigzag(int(y))]))
        features.append(_field(2, body))
    out = _uint_field(15, 2) + _field(1, layer.encode()) + b"".join(features)
    out += b"".join(_field(3, k.encode()) for k in keys)
    out += b"".join(_field(4, _value(v)) for _, v in values)
    out += _uint_field(5, extent)
    return _field(3, out) if points else b""


# ----------------------------------------------------------------------------- decoding


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> Iterable[tuple[int, Any]]:
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(buf, i)
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            n, i = _read_varint(buf, i)
            value, i = buf[i : i + n], i + n
        yield number, value


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _decode_value(buf: bytes) -> Any:
    for number, v in _fields(buf):
        if number == 1:
            return v.decode()
        if number == 2:
            return struct.unpack("<f", v)[0]
        if number == 3:
            return struct.unpack("<d", v)[0]
        if number in (4, 5):
            return v if number == 5 or v < 1 << 63 else v - (1 << 64)
        if number == 6:
            return _unzigzag(v)
        if number == 7:
            return bool(v)
    return None


def _packed_ints(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        v, i = _read_varint(buf, i)
        out.append(v)
    return out


def decode_points(tile: bytes) -> dict[str, list[dict[str, Any]]]:
    """``{layer: [{"id", "x", "y", "properties"}]}`` of a tile's point features."""
    layers: dict[str, list[dict[str, Any]]] = {}
    for number, layer_buf in _fields(tile):
        if number != 3:
            continue
        name, keys, values, raw = "", [], [], []
        for n, v in _fields(layer_buf):
            if n == 1:
                name = v.decode()
            elif n == 2:
                raw.append(v)
            elif n == 3:
                keys.append(v.decode())
            elif n == 4:
                values.append(_decode_value(v))
        feats = []
        for fbuf in raw:
            f: dict[str, Any] = {"id": None, "properties": {}}
            for n, v in _fields(fbuf):
                if n == 1:
                    f["id"] = v
                elif n == 2:
                    tags = _packed_ints(v)
                    for k, val in zip(tags[::2], tags[1::2], strict=True):
                        f["properties"][keys[k]] = values[val]
                elif n == 4:
                    geom = _packed_ints(v)
                    f["x"], f["y"] = _unzigzag(geom[1]), _unzigzag(geom[2])
            feats.append(f)
        layers[name] = feats
    return layers
