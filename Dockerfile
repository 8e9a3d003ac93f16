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
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates \
 && rm -rf /var/lib/apt/lists/* && useradd --system --home /srv/hms hms
COPY --from=build /src/target/release/hms /usr/local/bin/hms
COPY --from=build /src/web/dist /srv/hms/web
USER hms
ENV HMS_BIND=0.0.0.0:8080 HMS_STATIC_DIR=/srv/hms/web RUST_LOG=info
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["hms"]
CMD ["serve"]
