"""Run CPU-heavy, GIL-releasing work (password hashing) on real OS threads.

Under gunicorn's gevent worker every request is a greenlet on one OS thread; hashing there
would stall every other request, /ping included. A native thread pool keeps the event
loop free while argon2 and bcrypt (both release the GIL) use the cores. Outside gevent
(tests, `flask run`) the work simply runs in the calling thread.

Each argon2 hash takes its memory cost (19 MiB by default) from the C allocator, which keeps
it for the thread's next hash: held for good, it would be most of a worker's memory. So once
the threads have been idle for a while, the allocator is asked to give its free memory back.
glibc can only do that for its main arena, so the threads are made to allocate from it.
"""

import ctypes
import sys
import time
from collections.abc import Callable
from typing import Any

M_ARENA_MAX = -8  # glibc's mallopt parameter, from <malloc.h>
# Long enough that logins in a burst reuse the memory (taking it again costs a little time
# per hash), short enough that a quiet worker soon shrinks.
RELEASE_AFTER_IDLE_SECONDS = 5.0


class NativeThreads:
    def __init__(
        self, max_threads: int, release_after_idle_s: float = RELEASE_AFTER_IDLE_SECONDS
    ) -> None:
        self._max_threads = max_threads
        self._release_after_idle_s = release_after_idle_s
        self._pool: Any = None
        self._last_run = 0.0
        self._release_pending = False

    def run(self, func: Callable[..., Any], *args: Any) -> Any:
        pool = self._gevent_pool()
        if pool is None:
            return func(*args)
        try:
            return pool.apply(func, args)
        finally:
            self._last_run = time.monotonic()
            self._release_memory_when_idle(0.0)

    def _gevent_pool(self) -> Any:
        if self._pool is None and _gevent_active():
            from gevent.threadpool import ThreadPool

            _share_one_arena()
            self._pool = ThreadPool(maxsize=self._max_threads)
        return self._pool

    def _release_memory_when_idle(self, idle_s: float) -> None:
        """One timer at a time; when it fires before the threads have been idle for long
        enough, it waits again for the rest."""
        from gevent import spawn_later

        if not self._release_pending:
            self._release_pending = True
            spawn_later(self._release_after_idle_s - idle_s, self._release_if_idle)

    def _release_if_idle(self) -> None:
        self._release_pending = False
        idle_s = time.monotonic() - self._last_run
        if idle_s < self._release_after_idle_s:
            self._release_memory_when_idle(idle_s)
        else:
            self._pool.apply(release_free_memory)  # on a native thread: the loop runs on


def release_free_memory() -> None:
    """glibc's malloc_trim: the main arena's free pages go back to the system. Other C
    libraries (musl, macOS) have no such call; there this does nothing."""
    trim = _c_library_function("malloc_trim")
    if trim is not None:
        trim(0)


def _share_one_arena() -> None:
    """Threads started from now on allocate from glibc's main arena, the one malloc_trim
    empties, rather than each from an arena of its own. Hashing allocates once per hash, so
    sharing costs nothing measurable."""
    mallopt = _c_library_function("mallopt")
    if mallopt is not None:
        mallopt(M_ARENA_MAX, 1)


def _c_library_function(name: str) -> Any:
    """A function of the process's C library, or None where it has none of that name."""
    return getattr(ctypes.CDLL(None), name, None)


def _gevent_active() -> bool:
    if "gevent.monkey" not in sys.modules:
        return False
    from gevent import monkey

    return bool(monkey.is_module_patched("threading"))
