"""Library chatter goes to the log at debug level, never in front of the user.

pdfminer warns ``Could not get FontBBox from font descriptor …`` on real WPS-made PDFs, and
pdfplumber/pypdfium2 warn about annotations and forms they skip. None of it is about the
report's numbers; a user running ``gidar extract`` should see one line per file.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

LIBRARIES = ("pdfminer", "pdfplumber", "pypdfium2")
_log = logging.getLogger("gidar.extract.reader.libraries")


class _Demote(logging.Handler):
    """Re-log a library's record at DEBUG through gidar's logger (and so through its handlers)."""

    def emit(self, record: logging.LogRecord) -> None:
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("%s: %s", record.name, record.getMessage())


def quiet_libraries() -> None:
    """Idempotent: route the libraries' loggers through `_Demote` instead of the root handlers."""
    for name in LIBRARIES:
        lib = logging.getLogger(name)
        if not any(isinstance(h, _Demote) for h in lib.handlers):
            lib.addHandler(_Demote())
        lib.propagate = False


@contextmanager
def warnings_to_debug() -> Iterator[None]:
    """Python warnings raised while reading a file, logged at DEBUG instead of printed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        _log.debug("%s: %s", w.category.__name__, w.message)
