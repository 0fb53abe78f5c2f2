#!/usr/bin/env bash
# Install the system packages Ronde needs on Debian/Ubuntu, only those missing.
# As root directly, otherwise through sudo. Quiet and fast when everything is there.
set -euo pipefail

packages=(
  postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting  # the database
  libgdal32 gdal-bin libgeos-c1v5 libproj25                      # GeoDjango's C libraries
  postgresql-15-auto-failover pgbouncer                          # make ha; the failover and pooler tests
  osmium-tool                                                    # OSM extracts for import_streets
  nginx-light                                                    # checks deploy/nginx/ronde.conf (nginx -t) in the tests
  gettext                                                        # compile the French/English UI messages
  python3-venv                                                   # the project's .venv
  chromium                                                       # browser tests (Playwright)
  nodejs npm                                                     # self-hosted JS (MapLibre, axe-core)
  libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core             # WeasyPrint: mission sheet PDF
)
# Tools a machine may already have from elsewhere (e.g. node from another source).
declare -A provided_by=([nodejs]=node [npm]=npm [python3-venv]="")

missing=()
for p in "${packages[@]}"; do
  case "$p" in \#*) continue ;; esac
  if [ -n "${provided_by[$p]:-}" ] && command -v "${provided_by[$p]}" >/dev/null 2>&1; then continue; fi
  if [ "$p" = python3-venv ] && python3 -c "import ensurepip, venv" 2>/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
