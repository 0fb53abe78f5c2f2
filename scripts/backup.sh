#!/usr/bin/env bash
# make backup: the database (pg_dump custom format) and the media files, into one folder.
#   scripts/backup.sh [DEST]   (default var/backups/ronde-YYYYmmdd-HHMMSS)
# Uses DATABASE_URL when set, else the project's own cluster (RONDE_PG_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
url="${DATABASE_URL:-postgresql://ronde@127.0.0.1:${RONDE_PG_PORT:-54329}/ronde}"
url="${url/#postgis:/postgresql:}"
media="${RONDE_MEDIA_ROOT:-var/media}"
dest="${1:-var/backups/ronde-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$dest"
"$PGBIN/pg_dump" --format=custom --no-owner --file "$dest/database.dump" "$url"
if [ -d "$media" ]; then
  tar -C "$media" -czf "$dest/media.tar.gz" .
else
  tar -czf "$dest/media.tar.gz" --files-from /dev/null
fi
(cd "$dest" && sha256sum database.dump media.tar.gz > SHA256SUMS)
echo "backup written to $dest"
