"""The container's health probe: exit 0 when this instance answers /ping, else 1.

The image's HEALTHCHECK runs `python3 -m users_service.healthcheck`. It uses only the
standard library (a slim image has no curl) and reads PORT the way the service does.
"""

import os
import sys
import urllib.request

TIMEOUT_SECONDS = 2.0


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/ping"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as reply:
            return 0 if reply.status == 200 else 1
    except OSError as error:
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
