# stagegate in a container, for Kubernetes Jobs and Argo Rollouts analysis (issue 14):
# stage 1 builds the Debian package on Debian 12, stage 2 installs it on debian:12-slim and
# runs as an unprivileged user. Built and pushed by .github/workflows/release.yml.
#   docker build -t stagegate .
#   docker run --rm -v "$PWD:/work" -w /work stagegate run pipelines/chat-quick.yaml
FROM debian:12 AS build
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends ca-certificates dpkg-dev file \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY scripts/setup scripts/setup
RUN scripts/setup && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake cmake
COPY orchestrator orchestrator
COPY plugins plugins
COPY examples examples
COPY schemas schemas
COPY pipelines pipelines
COPY packaging packaging
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTAGEGATE_BUILD_TESTS=OFF \
 && cmake --build build \
 && cpack --config build/CPackConfig.cmake -B /dist

FROM debian:12-slim
COPY --from=build /dist/ /tmp/dist/
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends /tmp/dist/stagegate_*.deb ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* /tmp/dist \
 && useradd --system --uid 10001 --create-home --home-dir /home/stagegate stagegate
USER 10001:10001
WORKDIR /home/stagegate
ENV STAGEGATE_BACKEND=/usr/lib/stagegate/chat-backend
ENTRYPOINT ["stagegate"]
CMD ["--help"]
