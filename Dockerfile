# syntax=docker/dockerfile:1
# The price-recommendation service: a release binary and the default artifact set on slim Debian.
# Every step here is one `make` runs on the build machine too (`make install`, `make test-image`), so
# what the image does is tested without a Docker engine:
#   build stage    = make install PREFIX=/opt/pricing   (same release flags as `make build`)
#   runtime stage  = the packages in deploy/runtime-packages.txt, user `pricing`, /opt/pricing
# The same image serves HTTP (`pricing-server serve`) or, when AWS_LAMBDA_RUNTIME_API is set (AWS
# Lambda container images), runs the Lambda Runtime API loop.

FROM swift:6.3.1-bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends make
WORKDIR /src
COPY Makefile ./
RUN make build-deps && rm -rf /var/lib/apt/lists/*
# Dependencies before sources, so a source edit does not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources Sources
COPY Tests Tests
COPY config config
COPY models models
RUN make install PREFIX=/opt/pricing

FROM debian:bookworm-slim AS runtime
COPY deploy/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(cat /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --user-group --home-dir /opt/pricing --shell /usr/sbin/nologin pricing \
 && install -d -o pricing -g pricing -m 0750 /var/lib/pricing
COPY --from=build /opt/pricing /opt/pricing
USER pricing
WORKDIR /opt/pricing
# Configuration is by environment (see README "Settings"); nothing secret is baked in: credentials,
# tokens and REDIS_URL come from the orchestrator at run time.
# MODELS defaults to the image's own models/ (config/server.json, relative to WORKDIR).
# The sales ledger (POST /v1/sales, docs/ledger.md) goes to /var/lib/pricing, the one folder the service's
# user may write besides /tmp: mount a volume there to keep it. Replicas share a PostgreSQL ledger instead:
# set DATABASE_URL=postgres://user:password@host:5432/db (libpq5 is in the runtime packages).
ENV HOST=0.0.0.0 \
    PORT=8080 \
    MODELS_CACHE_DIR=/tmp/pricing-models-cache \
    LEDGER_PATH=/var/lib/pricing/ledger.sqlite
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/opt/pricing/bin/pricing-server", "healthcheck", "--path", "/healthz"]
ENTRYPOINT ["/opt/pricing/bin/pricing-server"]
CMD ["serve"]
