"""A Python client generated from our OpenAPI document by openapi-python-client (a tool
nobody here wrote): every module imports, and it calls the dispatch board on a live server
and reads the answer into its typed models."""

import datetime as dt
import importlib
import json
import pkgutil
import subprocess  # noqa: S404 - runs openapi-python-client with fixed arguments
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Role
from accounts.services import api_token_create
from tests.factories import member

PACKAGE = "ronde_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("client")
    schema = root / "schema.json"
    schema.write_text(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
    tool = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(  # noqa: S603
        [
            str(tool),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=root,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_every_generated_module_imports(generated):
    package = importlib.import_module(PACKAGE)
    failed, count = [], 0
    for module in pkgutil.walk_packages(package.__path__, PACKAGE + "."):
        count += 1
        try:
            importlib.import_module(module.name)
        except Exception as exc:  # noqa: BLE001 - every failure is listed below
            failed.append(f"{module.name}: {exc!r}")
    assert count > 200  # the whole API: /api/v1/, dispatch, agent, tiles, exports, health
    assert not failed, "\n".join(failed)


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_calls_the_dispatch_board(generated, live_server, community):
    client_module = importlib.import_module(f"{PACKAGE}.client")
    board = importlib.import_module(f"{PACKAGE}.api.dispatch.dispatch_api_board_retrieve")
    models = importlib.import_module(f"{PACKAGE}.models")
    key = api_token_create(user=member(community, Role.DISPATCHER))[1]
    client = client_module.AuthenticatedClient(base_url=live_server.url, token=key, prefix="Token")
    day = dt.date(2025, 3, 4)
    response = board.sync_detailed(client=client, date=day)
    assert response.status_code == 200
    assert isinstance(response.parsed, models.Board)
    assert response.parsed.date == day
    assert response.parsed.missions.features == []
    # Without a token: the documented 401, parsed as an error.
    anonymous = client_module.Client(base_url=live_server.url)
    assert board.sync_detailed(client=anonymous).status_code == 401


def test_the_whole_schema_is_valid_typed_and_has_no_warning():
    """`check --deploy` under production settings reported 21 drf-spectacular warnings: every
    operation is typed now, bodies are JSON only except the photo upload (the photo as the body,
    its fields in the query string; or a multipart form)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    document = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(document)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, dict(
        GENERATOR_STATS._warn_cache
    )
    paths = document["paths"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok, f"{method.upper()} {path}: no 2xx answer documented"
            body = operation.get("requestBody", {}).get("content", {})
            if path.startswith("/agent/api/photos/"):
                assert sorted(body) == ["image/jpeg", "multipart/form-data"]
                query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
                assert {"kind", "intervention", "report", "taken_at", "lon", "lat"} <= query
            else:
                assert set(body) <= {"application/json"}, f"{method.upper()} {path}: {sorted(body)}"
    board = paths["/dispatch/api/board/"]["get"]
    assert [p["name"] for p in board["parameters"]] == ["date"]
    assert "201" in paths["/dispatch/api/mission-templates/"]["post"]["responses"]
    assert "200" not in paths["/dispatch/api/mission-templates/"]["post"]["responses"]
    assert {
        "/health/",
        "/tiles/{layer}/{z}/{x}/{y}.mvt",
        "/tiles/{layer}.json",
        "/geo/exports/download/",
    } <= set(paths)
    intervention_put = paths["/agent/api/interventions/{client_uuid}/"]["put"]
    assert {"200", "201"} <= set(intervention_put["responses"]) and intervention_put["requestBody"]
