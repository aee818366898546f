# syntax=docker/dockerfile:1
#
# The Crowdsource image: gunicorn serving app.wsgi:app on port 8080 as a non-root user, ready for
# a read-only root filesystem (Kubernetes mounts an emptyDir at /tmp, which is also HOME).
# The same image runs the ops commands as Kubernetes Jobs, e.g. `crowdsource migrate up`.
#
#   docker build -t crowdsource .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=... -e SECRET_KEY=... \
#     -e STORAGE_BACKEND=s3 -e BUCKET_NAME=... crowdsource
#
# The base is pinned by tag. To pin it by digest too (reproducible builds; a bot such as
# Dependabot or Renovate then proposes updates), look the digest up with
#   docker buildx imagetools inspect python:3.12-slim-bookworm
# and build with --build-arg PYTHON_IMAGE=python:3.12-slim-bookworm@sha256:<digest>
# (or write that reference as the default below).
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# ---- builder: wheels of the project and of every dependency, into /wheels -------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# Dependencies first, from pyproject.toml alone, so this layer is reused until they change.
COPY pyproject.toml README.md LICENSE ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/requirements.txt \
    && pip wheel --wheel-dir /wheels --requirement /tmp/requirements.txt
# Then the project itself: only what its wheel is built from (tests/test_dockerfile.py builds a
# wheel from exactly these paths and checks what it holds).
COPY app ./app
COPY ops ./ops
COPY migrations ./migrations
RUN pip wheel --no-deps --wheel-dir /wheels .

# ---- fonts: Debian's Noto faces, of which the final stage copies only those a certificate is
# set in (app/certificates/fonts.py FACES; tests/test_dockerfile.py checks the list) --------
FROM ${PYTHON_IMAGE} AS fonts
RUN apt-get update \
    && apt-get install --yes --no-install-recommends fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*

# ---- final: the slim base, the installed wheels, nothing else -------------------------------
FROM ${PYTHON_IMAGE}
ARG SOURCE_URL=""
ARG REVISION=""
LABEL org.opencontainers.image.title="crowdsource" \
      org.opencontainers.image.description="Record, validate and publish speech datasets for many languages, from the browser." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    HOST=0.0.0.0 \
    PORT=8080 \
    HOME=/tmp

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/app --create-home \
        --shell /usr/sbin/nologin app

# The faces certificates are drawn in (HarfBuzz shapes them; the PDF embeds subsets).
COPY --from=fonts \
     /usr/share/fonts/truetype/noto/NotoSans-Bold.ttf \
     /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansGurmukhi-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansGujarati-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansOriya-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansTamil-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansTelugu-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansKannada-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansMalayalam-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoNastaliqUrdu-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansMeeteiMayek-Regular.ttf \
     /usr/share/fonts/truetype/noto/NotoSansOlChiki-Regular.ttf \
     /usr/share/fonts/truetype/noto/

# The wheels are bind-mounted from the builder, so they never land in a layer of this image.
# pip compiles the .pyc files here: nothing is written at run time (read-only root filesystem).
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels crowdsource-platform

WORKDIR /home/app
USER 10001:10001
EXPOSE 8080
# gunicorn stops gracefully on SIGTERM (Docker's and Kubernetes' stop signal). No ENTRYPOINT, so a
# Job's command replaces this one, e.g. ["crowdsource", "migrate", "up"] (on PATH from pip).
CMD ["gunicorn", "--config", "python:app.gunicorn_conf", "app.wsgi:app"]
