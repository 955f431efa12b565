"""Inflate the start of a zlib stream and find where its deflate blocks end, via the system zlib.

Python's `zlib` cannot stop at block boundaries (`Z_BLOCK`), which the PNG splice encoder needs
to reuse a file's compressed bytes verbatim up to the last boundary before the first changed
row. zlib's ABI has been stable for decades, so `ctypes` is safe; when no libz can be loaded the
caller falls back to a full encode.
"""

import ctypes
import ctypes.util
from dataclasses import dataclass
from functools import cache

_Z_OK, _Z_STREAM_END, _Z_BUF_ERROR, _Z_BLOCK = 0, 1, -5, 5
_AT_BLOCK_END, _IN_LAST_BLOCK, _UNUSED_BITS = 128, 64, 7  # z_stream.data_type flags


class _ZStream(ctypes.Structure):
    _fields_ = (
        ("next_in", ctypes.c_void_p),
        ("avail_in", ctypes.c_uint),
        ("total_in", ctypes.c_ulong),
        ("next_out", ctypes.c_void_p),
        ("avail_out", ctypes.c_uint),
        ("total_out", ctypes.c_ulong),
        ("msg", ctypes.c_char_p),
        ("state", ctypes.c_void_p),
        ("zalloc", ctypes.c_void_p),
        ("zfree", ctypes.c_void_p),
        ("opaque", ctypes.c_void_p),
        ("data_type", ctypes.c_int),
        ("adler", ctypes.c_ulong),
        ("reserved", ctypes.c_ulong),
    )


@cache
def _libz() -> ctypes.CDLL | None:
    for name in (ctypes.util.find_library("z"), "libz.so.1", "libz.dylib"):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        stream = ctypes.POINTER(_ZStream)
        lib.zlibVersion.restype = ctypes.c_char_p
        lib.inflateInit2_.argtypes = (stream, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
        lib.inflate.argtypes = (stream, ctypes.c_int)
        lib.inflateEnd.argtypes = (stream,)
        return lib
    return None


@dataclass(frozen=True)
class Prefix:
    data: bytearray  # the first `limit` inflated bytes
    boundary_bits: int  # bit offset in the zlib stream (header included) of the block boundary
    boundary_out: int  # inflated bytes before that boundary


def inflate_prefix(stream: bytes, limit: int) -> Prefix | None:
    """Inflate `limit` bytes of the zlib `stream`, noting the last non-final block end within.

    None when libz is unavailable or the stream ends early or is corrupt.
    """
    lib = _libz()
    if lib is None or limit <= 0:
        return None
    out = bytearray(limit)
    out_buffer = (ctypes.c_char * limit).from_buffer(out)
    in_buffer = ctypes.c_char_p(stream)  # points at the bytes object itself: no copy
    z = _ZStream()
    z.next_in = ctypes.cast(in_buffer, ctypes.c_void_p)
    z.avail_in = len(stream)
    z.next_out = ctypes.addressof(out_buffer)
    z.avail_out = limit
    if lib.inflateInit2_(ctypes.byref(z), 15, lib.zlibVersion(), ctypes.sizeof(z)) != _Z_OK:
        return None
    boundary: tuple[int, int] | None = None
    try:
        while z.avail_out:
            status = lib.inflate(ctypes.byref(z), _Z_BLOCK)
            if status not in (_Z_OK, _Z_BUF_ERROR) or (status == _Z_BUF_ERROR and z.avail_out):
                return None  # corrupt, or the stream ended before `limit` bytes
            if z.data_type & _AT_BLOCK_END and not z.data_type & _IN_LAST_BLOCK:
                boundary = (z.total_in * 8 - (z.data_type & _UNUSED_BITS), z.total_out)
    finally:
        lib.inflateEnd(ctypes.byref(z))
        del out_buffer  # release the export so `out` can be used freely
    if boundary is None:
        return None
    return Prefix(out, *boundary)
