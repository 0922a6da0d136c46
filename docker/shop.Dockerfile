# The example shop (examples/shop) as a container, for docker/compose.yaml only.
# Build context: examples/shop. It is configured only by environment variables (shop/settings.py).
ARG PYTHON_IMAGE=python:3.12-slim
FROM ${PYTHON_IMAGE}
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore \
    PYTHONUNBUFFERED=1 PATH=/opt/shop/bin:$PATH
RUN python -m venv /opt/shop && /opt/shop/bin/pip install "starlette>=0.40" "uvicorn>=0.30" "stripe>=10" "twilio>=9"
RUN useradd --uid 10002 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin shop \
 && mkdir /data && chown shop /data
COPY shop /app/shop
WORKDIR /app
USER shop
ENV SHOP_DATABASE=/data/shop.sqlite3
EXPOSE 8000
CMD ["uvicorn", "--factory", "shop.app:create_app", "--host", "0.0.0.0", "--port", "8000"]
