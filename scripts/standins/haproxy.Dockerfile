# Stand-in for haproxy:2.6-bookworm: Debian bookworm's HAProxy 2.6, laid out like the official
# image (config at /usr/local/etc/haproxy/haproxy.cfg, runs as user haproxy, SIGUSR1 to stop).
FROM standin/debian:bookworm-slim
# Unpinned on purpose: a stand-in tracks what bookworm ships today, as the official image does.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /usr/local/etc/haproxy
USER haproxy
STOPSIGNAL SIGUSR1
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
