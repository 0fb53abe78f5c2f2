"""The production deployment files: docker-compose.yml and deploy/nginx/ronde.conf."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services_with_healthchecks(compose):
    services = compose["services"]
    assert {"db", "web", "worker", "nginx"} <= set(services)
    for name in ("db", "web", "worker", "nginx"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "pgrouting" in services["db"]["image"]
    assert "gunicorn config.wsgi" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:3] == ["python", "manage.py", "db_worker"]
    # The database backend the worker serves is the one the settings configure.
    assert settings.TASKS["default"]["BACKEND"] in ("django_tasks_db.DatabaseBackend",
                                                    "django_tasks.backends.immediate.ImmediateBackend")  # fmt: skip


def test_compose_keeps_data_and_media_in_volumes(compose):
    services, volumes = compose["services"], set(compose["volumes"])
    assert {"db-data", "media", "static", "tile-cache"} <= volumes

    def mounts(name: str) -> dict[str, str]:
        return {v.split(":")[1]: v.split(":")[0] for v in services[name]["volumes"]}

    assert mounts("db")["/var/lib/postgresql/data"] == "db-data"
    assert mounts("web")["/app/var/media"] == "media" == mounts("worker")["/app/var/media"]
    assert mounts("web")["/app/var/static"] == "static" == mounts("nginx")["/srv/static"]
    assert mounts("nginx")["/etc/nginx/conf.d/default.conf"] == "./deploy/nginx/ronde.conf"
    # The app containers agree on where media lives and how nginx sends photos.
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["RONDE_MEDIA_ROOT"] == "/app/var/media"
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert "${DJANGO_SECRET_KEY:?" in env["DJANGO_SECRET_KEY"]  # no default secret


def test_nginx_config_caches_tiles_per_user_and_never_serves_media():
    conf = (ROOT / "deploy" / "nginx" / "ronde.conf").read_text()
    tiles = re.search(r"location /tiles/ \{(.*?)\n    \}", conf, re.S)
    assert tiles is not None
    block = tiles.group(1)
    assert "proxy_cache ronde_tiles;" in block and "proxy_cache_revalidate on;" in block
    key = re.search(r"proxy_cache_key \"([^\"]+)\"", block)
    assert key is not None and "$cookie_sessionid" in key.group(1) and "$http_authorization" in key.group(1)
    assert re.search(r"location /static/ \{\s*alias /srv/static/;", conf)
    assert re.search(r"location /protected-media/ \{\s*internal;", conf)
    assert "location /media/ { return 404; }" in conf


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx is not installed (apt-get install nginx-light)")  # fmt: skip
def test_nginx_accepts_the_config(tmp_path):
    """`nginx -t` on ronde.conf, with the compose names and paths pointed at a scratch dir."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    certs = tmp_path / "certs"
    certs.mkdir()
    (tmp_path / "cache").mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t",
                    "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
                   check=True, capture_output=True)  # fmt: skip
    conf = (ROOT / "deploy" / "nginx" / "ronde.conf").read_text()
    conf = (conf.replace("server web:8000;", "server 127.0.0.1:8000;")
                .replace("/etc/nginx/certs/", f"{certs}/")
                .replace("/var/cache/nginx/", f"{tmp_path}/cache/"))  # fmt: skip
    (tmp_path / "ronde.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n"
        f"  include /etc/nginx/mime.types;\n  include {tmp_path}/ronde.conf;\n}}\n"
    )
    result = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
