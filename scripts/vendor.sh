#!/usr/bin/env bash
# Copy the pinned browser libraries from node_modules/ into static/vendor/ (served by us,
# never from a CDN). node_modules/ and static/vendor/ are generated, not committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=static/vendor
mkdir -p "$out"/{maplibre-gl,ol,leaflet,axe-core,terra-draw}
cp node_modules/maplibre-gl/dist/maplibre-gl.mjs node_modules/maplibre-gl/dist/maplibre-gl-shared.mjs \
   node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs node_modules/maplibre-gl/dist/maplibre-gl.css \
   "$out/maplibre-gl/"
# ol.js names its source map: the manifest storage of collectstatic fails without it.
cp node_modules/ol/dist/ol.js node_modules/ol/dist/ol.js.map node_modules/ol/ol.css "$out/ol/"
cp -r node_modules/leaflet/dist/. "$out/leaflet/"
cp node_modules/axe-core/axe.min.js "$out/axe-core/"
cp -r node_modules/terra-draw/dist/. "$out/terra-draw/"
