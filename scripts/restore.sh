#!/usr/bin/env bash
# make restore FROM=DIR: load a backup made by scripts/backup.sh into an EMPTY database
# (refuses to overwrite one that has Ronde tables) and unpack its media files.
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:?usage: restore.sh BACKUP_DIR}"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
url="${DATABASE_URL:-postgresql://ronde@127.0.0.1:${RONDE_PG_PORT:-54329}/ronde}"
url="${url/#postgis:/postgresql:}"
media="${RONDE_MEDIA_ROOT:-var/media}"
(cd "$src" && sha256sum --quiet -c SHA256SUMS) || { echo "restore: $src is damaged (checksum mismatch)"; exit 1; }
tables="$("$PGBIN/psql" "$url" -qAt -c "select count(*) from pg_tables where tablename = 'accounts_community'")"
if [ "$tables" != 0 ]; then
  echo "restore: the target database already holds Ronde tables; restore into an empty database."
  exit 1
fi
"$PGBIN/pg_restore" --no-owner --exit-on-error --single-transaction --dbname "$url" "$src/database.dump"
mkdir -p "$media"
tar -C "$media" -xzf "$src/media.tar.gz"
echo "restored $src"
