# Stand-in for postgres:15-bookworm: Debian bookworm's PostgreSQL 15 with an entrypoint that
# honours the official image's POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB and PGDATA.
FROM standin/debian:bookworm-slim
# Unpinned on purpose: a stand-in tracks what bookworm ships today, as the official image does.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 /etc/postgresql/15
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
