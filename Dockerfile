# Slim, non-root image running the same entry point as a local install: `raqib`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 raqib
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY feeds.yaml ./feeds.yaml
RUN mkdir -p /app/data && chown raqib:raqib /app/data
USER raqib
# The health endpoint listens on every interface of the container only: outside it, publish the port or not.
ENV RAQIB_CONFIG=/app/feeds.yaml RAQIB_HEALTH_PORT=9108 RAQIB_HEALTH_HOST=0.0.0.0
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)" || exit 1
ENTRYPOINT ["raqib"]
CMD ["run"]
