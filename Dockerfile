# HMS: the API server with the SPA it serves. Built from the workspace root:
#   docker build -t hms .
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && (cargo install wasm-bindgen-cli --version =0.2.130 --locked || cargo install wasm-bindgen-cli --version =0.2.130)
WORKDIR /src
COPY . .
RUN cargo xtask web && cargo build --release -p hms-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* && useradd --system --home /srv/hms hms \
 && install -d -o hms -g hms /var/lib/hms/journal
COPY --from=build /src/target/release/hms /usr/local/bin/hms
COPY --from=build /src/web/dist /srv/hms/web
USER hms
WORKDIR /srv/hms
# The journal keeps requests accepted while the primary database is unreachable: mount a
# durable volume here (see docs/deployment.md).
ENV HMS_BIND=0.0.0.0:8080 HMS_STATIC_DIR=/srv/hms/web HMS_JOURNAL_DIR=/var/lib/hms/journal RUST_LOG=info
VOLUME /var/lib/hms/journal
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/health/live"]
ENTRYPOINT ["hms"]
CMD ["serve"]
