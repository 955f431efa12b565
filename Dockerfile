# gemini-proxy: one replica per container. Configuration comes from /config/config.yaml
# (deploy/config.yaml in compose.yaml), secrets from the environment (os.environ/NAME).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md LICENSE ./
COPY proxy ./proxy
COPY providers ./providers
COPY postprocess ./postprocess
RUN pip install . && useradd --system --home-dir /data gemini \
    && mkdir -p /data && chown gemini /data

USER gemini
VOLUME /data
EXPOSE 8100
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8100/health')"
CMD ["gemini-proxy", "--config", "/config/config.yaml"]
