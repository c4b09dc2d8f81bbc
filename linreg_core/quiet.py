"""TensorFlow, imported without its start-up chatter.

Its import writes oneDNN and absl notices straight to the process's standard error, before its own log
settings (TF_CPP_MIN_LOG_LEVEL) are read, so the command line's output would not be the blog's table alone.
The import runs with file descriptors 1 and 2 pointed at a temporary file; if it fails, what it wrote is
passed on with the error.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile


@contextlib.contextmanager
def _descriptors_to_file():
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield sink
        except BaseException:
            _restore(saved)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        _restore(saved)


def _restore(saved: list[int]) -> None:
    for fd, copy in zip((1, 2), saved, strict=True):
        os.dup2(copy, fd)
        os.close(copy)


def tensorflow():
    """The tensorflow module, imported once, quietly."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # its later warnings, once its logging is set up
    if "tensorflow" not in sys.modules:
        with _descriptors_to_file():
            import tensorflow  # noqa: F401
    return sys.modules["tensorflow"]
