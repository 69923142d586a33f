"""The process's old objects kept out of the garbage collector's passes while a recorded
network runs.

A recorded network keeps every message, node and reply promise it makes, so the collector's
thresholds trip full collections as it goes, and a full collection walks every object in the
process (tens of ms in the benchmark's process, more in the IDE's; docs/benchmarks.md).
`gc.freeze` moves the objects that exist when the run starts out of the collector's view until
it ends (`gc.unfreeze`); what the run makes is collected as usual, and cyclic garbage among
the older objects waits for the end of the run. Nothing is done while someone else holds
objects frozen (a pre-fork server does, to share memory pages) or the collector is off. Runs
overlap: the first to start freezes, the last to end thaws.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["old_objects_held"]

_holders = 0
_froze = False
# Event loops in several threads may run recorded networks at once.
_lock = threading.Lock()


@contextmanager
def old_objects_held() -> Iterator[None]:
    """Keep the objects that exist now out of the collector's passes until the last holder
    leaves (see the module doc)."""
    global _holders, _froze
    with _lock:
        if _holders == 0:
            _froze = gc.isenabled() and gc.get_freeze_count() == 0
            if _froze:
                gc.freeze()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _froze:
                _froze = False
                gc.unfreeze()
