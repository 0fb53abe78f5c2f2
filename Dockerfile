# Ronde under gunicorn with production settings. Used by docker-compose.yml.
#   docker build -t ronde .

# Stage 1: the pinned browser libraries (MapLibre, OpenLayers, Leaflet…), self-hosted.
FROM node:20-bookworm-slim AS vendor
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --silent
COPY scripts/vendor.sh scripts/vendor.sh
RUN mkdir -p static && bash scripts/vendor.sh

# Stage 2: the application.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    RONDE_VAR_DIR=/app/var \
    RONDE_MEDIA_ROOT=/app/var/media
# GeoDjango's C libraries (GDAL, GEOS, PROJ), gettext for the translations, and the
# PostgreSQL client for pg_isready and backups.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgdal32 gdal-bin libgeos-c1v5 libproj25 gettext \
      postgresql-client curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
COPY --from=vendor /src/static/vendor static/vendor
# Compiled messages and collected static files are part of the image; the secret key is a
# throwaway one for these build steps only (production refuses to start without a real one).
RUN DJANGO_SECRET_KEY=build-only python manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules \
 && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --no-input -v 0
RUN useradd --system --uid 1000 --home-dir /app ronde && mkdir -p /app/var/media /app/var/photo-inbox && chown -R ronde /app/var
USER ronde
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS -H "X-Forwarded-Proto: https" http://127.0.0.1:8000/health/ || exit 1
# Migrate, then serve. Two workers per core is gunicorn's usual starting point.
CMD ["sh", "-c", "python manage.py migrate --no-input && exec gunicorn config.wsgi --bind 0.0.0.0:8000 --workers ${GUNICORN_WORKERS:-4} --access-logfile - --forwarded-allow-ips '*'"]
