# mock-okta: multi-stage build on the official Swift image; the build commands match scripts/release-check.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev libsqlite3-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Plugins ./Plugins
COPY Sources ./Sources
COPY scenarios ./scenarios
COPY scripts/embed-scenarios.sh ./scripts/embed-scenarios.sh
RUN swift build -c release --static-swift-stdlib --product mock-okta \
 && install -D .build/release/mock-okta /out/usr/local/bin/mock-okta

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 libsqlite3-0 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/mock-okta --create-home mockokta
COPY --from=build /out/ /
COPY scenarios /usr/share/mock-okta/scenarios
USER mockokta
WORKDIR /var/lib/mock-okta
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s CMD curl -fsS http://127.0.0.1:8080/__mock/health || exit 1
ENTRYPOINT ["mock-okta", "serve", "--host", "0.0.0.0"]
