"""Run CPU-heavy, GIL-releasing work (password hashing) on real OS threads.

Under gunicorn's gevent worker every request is a greenlet on one OS thread; hashing there
would stall every other request, /ping included. A native thread pool keeps the event
loop free while argon2 and bcrypt (both release the GIL) use the cores. Outside gevent
(tests, `flask run`) the work simply runs in the calling thread.
"""

import sys
from collections.abc import Callable
from typing import Any


class NativeThreads:
    def __init__(self, max_threads: int) -> None:
        self._max_threads = max_threads
        self._pool: Any = None

    def run(self, func: Callable[..., Any], *args: Any) -> Any:
        pool = self._gevent_pool()
        return pool.apply(func, args) if pool is not None else func(*args)

    def _gevent_pool(self) -> Any:
        if self._pool is None and _gevent_active():
            from gevent.threadpool import ThreadPool

            self._pool = ThreadPool(maxsize=self._max_threads)
        return self._pool


def _gevent_active() -> bool:
    if "gevent.monkey" not in sys.modules:
        return False
    from gevent import monkey

    return bool(monkey.is_module_patched("threading"))
