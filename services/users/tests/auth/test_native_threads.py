"""Password hashing on native threads under gevent, and the memory those threads give back."""

import json
import subprocess
import sys
import textwrap

# Runs in a fresh interpreter: gevent must patch `threading` before anything else imports it.
HASHING_UNDER_GEVENT = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()
    import json, sys
    import gevent
    from argon2 import PasswordHasher
    from users_service.auth.native_threads import NativeThreads

    def resident_mib():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096 / 2**20

    idle_s, wait_s = float(sys.argv[1]), float(sys.argv[2])
    threads = NativeThreads(1, release_after_idle_s=idle_s)
    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    before = resident_mib()
    hashed = [threads.run(hasher.hash, "a password") for _ in range(3)]
    after_hashing = resident_mib()
    gevent.sleep(wait_s)
    after_idle = resident_mib()
    print(json.dumps({
        "verified": threads.run(hasher.verify, hashed[0], "a password"),
        "before": before, "after_hashing": after_hashing, "after_idle": after_idle,
    }))
    """
)


def run_hashing(idle_s: float, wait_s: float) -> dict[str, float]:
    """Three hashes, then `wait_s` without any: resident memory before, after, and then."""
    command = [sys.executable, "-c", HASHING_UNDER_GEVENT, str(idle_s), str(wait_s)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    result: dict[str, float] = json.loads(finished.stdout)
    return result


def test_hashing_threads_give_their_memory_back_once_idle() -> None:
    """argon2's 19 MiB stays with the thread while it hashes, and goes once it is idle."""
    memory = run_hashing(idle_s=0.2, wait_s=1.0)
    assert memory["verified"] is True
    assert memory["after_hashing"] - memory["before"] >= 15
    assert memory["after_hashing"] - memory["after_idle"] >= 15


def test_memory_is_kept_while_hashing_continues() -> None:
    """Within the idle time nothing is released: a burst of logins reuses the memory."""
    memory = run_hashing(idle_s=30.0, wait_s=1.0)
    assert memory["after_hashing"] - memory["after_idle"] < 5
