"""A CSV file's bytes, for csvfile.py: where they come from, how many there may be, and their encoding.

The bytes are read as a stream that refuses to go past a limit. Its first lines are read twice: once to
learn the encoding and the layout (separator, header), then again by the CSV parser, which stops after the
rows it needs, so a huge file is never read whole and nothing is written to disk.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from typing import IO, Union

from .dataset import DataError

CsvSource = Union[str, "os.PathLike[str]", bytes, IO[bytes], io.StringIO]
PEEK_BYTES = 64 * 1024  # read at a time while looking for the header and the first row
MAX_HEAD_BYTES = 4 * 1024 * 1024  # the header line and the first row must end within this

# First bytes of files people pick by mistake
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx file is one; save the sheet as CSV)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls or .doc; save the sheet as CSV)"),
    (b"\x1f\x8b", "gzip-compressed (unpack it first)"),
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # not in text; \t, \n, \f and \r are
_BOM_CODECS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def label_of(source: CsvSource, name: str | None) -> str:
    if name:
        return one_line(name)
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    given = getattr(source, "name", None)  # an open file's path, or an uploaded file's name
    return one_line(given) if isinstance(given, str) and given else "the uploaded file"


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 1e5 else f"{size:,} bytes"


class Stream(io.RawIOBase):
    """The file's bytes as a stream that refuses to go past `limit` bytes; `peek_head` reads its first
    lines, which the parser then reads again from the start."""

    def __init__(self, raw: IO[bytes], label: str, limit: int, close: bool) -> None:
        super().__init__()
        self._raw, self.label, self.limit, self._close = raw, label, limit, close
        self._head = b""
        self._pos = 0  # position in the replayed head
        self.count = 0  # bytes taken from the file
        self.at_end = False

    def readable(self) -> bool:
        return True

    def _take(self, size: int) -> bytes:
        chunk = self._raw.read(size)
        if isinstance(chunk, str):
            raise TypeError("read_csv needs a binary file object (open it with 'rb')")
        chunk = bytes(chunk or b"")
        self.count += len(chunk)
        if self.count > self.limit:
            raise DataError(f"{self.label} is larger than {megabytes(self.limit)}, the limit for a CSV file")
        if not chunk:
            self.at_end = True
        return chunk

    def peek_head(self, enough=lambda head: True) -> bytes:
        """The file's first bytes: PEEK_BYTES at a time until `enough(head)` says they hold what is needed
        (the header and the first row), the file ends, or MAX_HEAD_BYTES are read."""
        parts, size = [], 0
        while not self.at_end and size < MAX_HEAD_BYTES:
            chunk = self._take(PEEK_BYTES)
            parts.append(chunk)
            size += len(chunk)
            if size >= PEEK_BYTES and enough(b"".join(parts)):
                break
        self._head = b"".join(parts)
        if not self.at_end:  # a file that ends right here: learn that it did, so the head counts as whole
            self._head += self._take(1)
        return self._head

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._pos < len(self._head):
            chunk = self._head[self._pos : self._pos + len(buffer)]
            self._pos += len(chunk)
        else:
            chunk = self._take(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if self._close and not self.closed:
            self._raw.close()
        super().close()


def open_stream(source: CsvSource, label: str, max_bytes: int) -> Stream:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _checked_size(Stream(io.BytesIO(bytes(source)), label, max_bytes, close=True), len(source))
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.stat(source).st_size
            if os.path.isdir(source):
                raise DataError(f"{label} is a folder, not a CSV file")
            return _checked_size(Stream(open(source, "rb"), label, max_bytes, close=True), size)
        except FileNotFoundError:
            raise DataError(f"{label}: no such file") from None
        except OSError as exc:
            raise DataError(f"{label}: cannot read it ({exc.strerror or exc})") from None
    if isinstance(source, io.StringIO):  # text already in memory: read it as the UTF-8 bytes it stands for
        return open_stream(source.getvalue().encode("utf-8"), label, max_bytes)
    raw = getattr(source, "buffer", source)  # a text-mode file: read its bytes
    size = None
    if getattr(raw, "seekable", lambda: False)():
        raw.seek(0, io.SEEK_END)
        size = raw.tell()
        raw.seek(0)
    return _checked_size(Stream(raw, label, max_bytes, close=False), size)


def _checked_size(stream: Stream, size: int | None) -> Stream:
    if size is not None and size > stream.limit:
        stream.close()
        raise DataError(
            f"{stream.label} is {megabytes(size)}, over the limit of {megabytes(stream.limit)} for a CSV file"
        )
    return stream


def encoding_of(head: bytes, label: str, whole: bool) -> tuple[str, str | None]:
    """The text encoding to read with, and a note if it is not UTF-8; a DataError if it is not text."""
    for bom, codec in _BOM_CODECS:
        if head.startswith(bom):
            return codec, None
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise DataError(f"{label} is {what}, not a CSV file")
    if not head.strip():
        raise DataError(f"{label} is empty: expected a header row such as x,y and rows of numbers")
    if b"\x00" in head:
        # UTF-16 text without its byte-order mark has a NUL beside every ASCII character
        raise DataError(
            f"{label} is not a CSV text file: it contains NUL bytes (a binary file, or UTF-16 text without a "
            "byte-order mark); save it as CSV (UTF-8)"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
        return "utf-8", None
    except UnicodeDecodeError as exc:
        try:
            head.decode("cp1252")  # Excel on Windows writes this; it leaves only five byte values undefined
        except UnicodeDecodeError:
            raise DataError(f"{label} is not a text file in UTF-8 (byte {exc.start:,} is not text)") from None
        return "cp1252", "not UTF-8: read as Windows-1252 text"


def decode_head(head: bytes, encoding: str, whole: bool) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=whole)
