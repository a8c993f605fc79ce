# A Swift Celery worker (and the example web app) in one image.
#
#   docker build -t celeriac .
#   docker run --rm -e CELERY_BROKER_URL=redis://redis:6379/0 celeriac             # celeriac-example worker --loglevel=info
#   docker run --rm -p 8080:8080 celeriac hummingbird-example --host 0.0.0.0        # the Hummingbird example app
#
# Your own app: replace `celeriac-example` by your executable product (the one whose main() calls
# CeleriacCommandLine.main with your task registry), exactly as `celery -A api worker` names your Celery app.

FROM swift:6.3-noble AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY . .
RUN swift build -c release --static-swift-stdlib --product celeriac-example \
    && swift build -c release --static-swift-stdlib --product hummingbird-example \
    && swift build -c release --static-swift-stdlib --product celeriac \
    && mkdir /staging \
    && cp "$(swift build -c release --show-bin-path)"/celeriac-example \
          "$(swift build -c release --show-bin-path)"/hummingbird-example \
          "$(swift build -c release --show-bin-path)"/celeriac /staging/

FROM ubuntu:noble
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app celeriac
COPY --from=build /staging/ /usr/local/bin/
USER celeriac
WORKDIR /app
# A warm shutdown on SIGTERM (docker stop): no new messages, running tasks finish, prefetched ones go back.
STOPSIGNAL SIGTERM
CMD ["celeriac-example", "worker", "--loglevel=info"]
