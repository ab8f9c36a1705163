# syntax=docker/dockerfile:1
# mlqd in two stages: build with the Rust toolchain, run on a slim Debian with only the
# binary (one image for every role: serve, worker, reaper, …) and curl, which the
# healthchecks of docker-compose.yml use (GET /healthz).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin mlqd \
    && cp target/release/mlqd /usr/local/bin/mlqd

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/mlqd /usr/local/bin/mlqd
# exec handlers need their runtime: build FROM this image and add it (python3, a venv, …)
USER 65532:65532
ENTRYPOINT ["mlqd"]
CMD ["--help"]
