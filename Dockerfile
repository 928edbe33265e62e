# Image for the hub service; see docker-compose.yml for the full stack.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Sources stay root-owned, so the service user cannot modify its own code.
COPY . /app
RUN pip install . \
    && useradd --system --create-home --home-dir /home/hub --uid 10001 \
        --shell /usr/sbin/nologin hub

USER hub
EXPOSE 8080
CMD ["hub", "run"]
