"""Uploaded files within a memory budget: read one at a time, kept once, and paid for server-wide.

What a visitor's upload costs the server, and how each part is bounded:
- Streamlit keeps an uploaded file's bytes in memory until its visitor removes the file or the session
  ends (after the tab closes, until the disconnected session expires). Its public API has no call that
  drops them sooner, so a table's share of the budget pays for them too, for as long as the table is kept.
- Reading holds the file's rows a chunk at a time, its columns as float32 (linreg_core.csvfile): the
  server reads one file at a time, so visitors uploading together never add their reads up.
- What is kept is the file's bytes, the table (at most csvfile.MAX_CELLS numbers) and what is worked out
  from it (the data set, a hold-out's split, standardised x): every visitor's together stay within
  `budget_mb`. When it is
  spent, a new upload is refused with a message; nobody's table or run is touched. A visitor's share is
  given back when the table is replaced or removed, or when the session is gone.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass

from linreg_core.data import CsvTable, DataError, read_csv

BUDGET_MB = 192  # every visitor's uploads together (bytes, tables and what is worked out from them)
ROW_EXTRA_BYTES = 20  # per row, besides the table: the data set's x and y, a hold-out's split, standardised x
READ_WAIT_S = 30.0  # how long an upload waits for the files ahead of it to be read


@dataclass(frozen=True, eq=False)
class Upload:
    """A visitor's file as read: its table (or why it has none), named by its digest. `share` holds the
    visitor's part of the budget until it is released or the Upload is gone."""

    file_id: str
    digest: str
    table: CsvTable | None
    problem: str | None
    share: _Share | None = None

    def release(self) -> None:
        if self.share is not None:
            self.share.release()


class Uploads:
    """The server's uploads: one read at a time, and every kept table within a budget. Thread-safe."""

    def __init__(self, budget_mb: float = BUDGET_MB) -> None:
        self.budget = int(budget_mb * 2**20)
        self._reading = threading.Lock()
        self._lock = threading.RLock()  # a share's release may run inside garbage collection, on any thread
        self._held: dict[int, int] = {}
        self._next = 0

    @property
    def held(self) -> int:
        with self._lock:
            return sum(self._held.values())

    def read(self, file) -> Upload:
        """Read an uploaded file (a Streamlit UploadedFile) and pay for it from the budget: its table, and the
        bytes Streamlit keeps while the table is used."""
        digest = hashlib.sha256(file.getbuffer()).hexdigest()[:16]
        if not self._reading.acquire(timeout=READ_WAIT_S):
            return Upload(file.file_id, digest, None, _busy())
        try:
            table, problem = read_csv(file, name=file.name), None
        except DataError as e:
            table, problem = None, str(e)
        finally:
            self._reading.release()
        if table is None:
            return Upload(file.file_id, digest, None, problem)
        cost = table.nbytes + ROW_EXTRA_BYTES * table.rows + file.size
        share = self._reserve(cost)
        if share is None:
            return Upload(file.file_id, digest, None, self._spent(table, cost))
        return Upload(file.file_id, digest, table, None, share)

    def _reserve(self, cost: int) -> _Share | None:
        with self._lock:
            if sum(self._held.values()) + cost > self.budget:
                return None
            token, self._next = self._next, self._next + 1
            self._held[token] = cost
        return _Share(self._release, token)

    def _release(self, token: int) -> None:
        with self._lock:
            self._held.pop(token, None)

    def _spent(self, table: CsvTable, cost: int) -> str:
        left = max(0, self.budget - self.held)
        return (
            f"{table.name} was read ({table.rows:,} rows), but this server is holding as many uploaded tables as "
            f"it can right now ({self.budget / 2**20:.0f} MB for every visitor together; this one needs "
            f"{cost / 2**20:.1f} MB, {left / 2**20:.1f} MB are free). Try again in a few minutes, or upload fewer "
            "rows or only the columns you need."
        )


class _Share:
    """A visitor's part of the budget: released when asked, or when the visitor's Upload (and so this) is
    gone with its session."""

    def __init__(self, release, token: int) -> None:
        self._finalizer = weakref.finalize(self, release, token)

    def release(self) -> None:
        self._finalizer()


def _busy() -> str:
    return (
        f"The server is busy reading other visitors' files (waited {READ_WAIT_S:.0f} s). Upload the file again "
        "in a moment."
    )
