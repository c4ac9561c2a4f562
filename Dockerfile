# The registry in one image: nginx + registryd, started by the same script as `make run` and
# the tests (scripts/serve.sh). Not built on the development machines (no Docker engine there).
FROM debian:bookworm
WORKDIR /srv/registry
COPY . .
RUN apt-get update \
    && apt-get install -y --no-install-recommends make ca-certificates \
    && REGISTRY_DEPS=runtime scripts/deps.sh \
    && make build/registryd \
    && rm -rf /var/lib/apt/lists/*
ENV PORT=8080 REGISTRY_LISTEN=0.0.0.0 REGISTRY_DATA_DIR=/var/lib/registry REGISTRY_WORKERS=8
EXPOSE 8080
CMD ["scripts/serve.sh"]
