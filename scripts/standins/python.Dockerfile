# Stand-in for python:3.11-slim-bookworm: Debian bookworm's Python 3.11 on the minbase stand-in.
# Only `python3 -m venv` and pip are relied on, which both images provide.
FROM standin/debian:bookworm-slim
# Unpinned on purpose: a stand-in tracks what bookworm ships today, as the official image does.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
CMD ["python3"]
