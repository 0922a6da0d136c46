# fakeservices as a container: `docker build -t fakeservices .` then
# `docker run --rm -p 4010:4010 -p 2525:2525 fakeservices`. See docker/README.md.
#
# PYTHON_IMAGE lets the image be built from a local base where no registry is reachable
# (e.g. --build-arg PYTHON_IMAGE=localhost/python-base:bookworm, see docker/test-image.sh).
# Both stages must use the same base: the venv's interpreter is a symlink into it.
ARG PYTHON_IMAGE=python:3.12-slim

# ---- build: install the package and its dependencies into a self-contained venv ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/fakeservices
WORKDIR /src
# Dependencies first (read from pyproject.toml), so that editing the source reuses this layer.
COPY pyproject.toml ./
# The runtime dependencies and the `fast` extra (uvloop, httptools: used when installed).
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['fast']))" >/tmp/requirements.txt \
 && /opt/fakeservices/bin/pip install -r /tmp/requirements.txt
COPY README.md CHANGELOG.md ./
COPY fakeservices ./fakeservices
# pip and setuptools are not needed at run time: they are dropped from the runtime venv.
RUN /opt/fakeservices/bin/pip install --no-deps . \
 && /opt/fakeservices/bin/fakeservices --version \
 && /opt/fakeservices/bin/pip uninstall -y -q pip setuptools

# ---- runtime: the base image, the venv, a non-root user ----
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="fakeservices" \
      org.opencontainers.image.description="In-memory fakes of Stripe, Twilio, SMTP and email send APIs for integration tests" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT"
RUN groupadd --system --gid 10001 fakeservices \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin fakeservices
COPY --from=build /opt/fakeservices /opt/fakeservices
ENV PATH=/opt/fakeservices/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FAKESERVICES_HOST=0.0.0.0
# Numeric, so that runAsNonRoot-style checks can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /tmp
EXPOSE 4010 2525
# Standard library only (no curl in the image). Follows FAKESERVICES_HTTP_PORT if it is set.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/__admin/health' % (os.environ.get('FAKESERVICES_HTTP_PORT') or '4010'), timeout=2).close()"]
# The server handles SIGTERM itself (stops both listeners within 2 s and exits 0); exec form
# makes it PID 1 so that `docker stop` reaches it directly.
STOPSIGNAL SIGTERM
ENTRYPOINT ["fakeservices", "serve"]
CMD []
