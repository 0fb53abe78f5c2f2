"""The admin map widget really runs in a browser, offline: OpenLayers from our static files."""

import pytest

from tests.factories import PASSWORD, UserFactory, ZoneFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_zone_map_draws_without_internet(page, live_server, community):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    zone = ZoneFactory(community=community)
    external: list[str] = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_server.url)
            else (external.append(route.request.url), route.abort())[1]
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/geo/zone/{zone.pk}/change/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#id_geom_map canvas", timeout=10_000)
    assert page.evaluate("typeof ol") == "object"
    # The widget loaded the stored zone as an editable feature.
    assert page.evaluate("geodjango_geom.featureCollection.getLength()") == 1
    assert errors == []
    assert external == []
