# The registry in one image: nginx + registryd, started by the same script as `make run` and
# the tests (scripts/serve.sh). Not built on the development machines (no Docker engine there).
# Everything runs as the unprivileged account "registry", never as root: nginx's master and
# workers and registryd's master and workers. Its data directory (the volume) belongs to it.
# deps.sh also installs Node.js 24 from npm (monitor/node, pinned by its lockfile), which runs
# sensitive models' monitor programs; serve.sh points REGISTRY_NODE at it.
FROM debian:bookworm
WORKDIR /srv/registry
COPY . .
RUN apt-get update \
    && apt-get install -y --no-install-recommends make ca-certificates \
    && REGISTRY_DEPS=runtime scripts/deps.sh \
    && make build/registryd build/registry-load \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /var/lib/registry --no-create-home \
        --shell /usr/sbin/nologin registry \
    && install -d -o registry -g registry -m 0750 /var/lib/registry
ENV PORT=8080 REGISTRY_LISTEN=0.0.0.0 REGISTRY_DATA_DIR=/var/lib/registry REGISTRY_WORKERS=8
USER registry
EXPOSE 8080
CMD ["scripts/serve.sh"]
