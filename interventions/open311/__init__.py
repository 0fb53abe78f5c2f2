"""Open311 GeoReport v2 server (see README.md beside this file)."""
