"""#18: the dispatch board's map has a legend of the colours it draws, in French."""

import re

import pytest

from accounts.models import Role
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_the_board_has_a_legend_with_coloured_dots(client, community):
    client.force_login(member(community, Role.DISPATCHER))
    page = client.get("/dispatch/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    legend = page.split('id="board-legend"')[1].split("</section>")[0]
    assert "Légende" in legend and "Intervention faite" in legend and "Zone de mission" in legend
    dots = dict(re.findall(r'data-legend="(\w+)"><svg[^>]*><circle [^>]*fill="(#[0-9a-f]{6})"', legend))
    # The colours board.js and the tile style draw; assets never in the done green.
    assert dots["done"] == "#2e7d32" and dots["todo"] == "#c62828" and dots["assets"] != dots["done"]
    assert len(set(dots.values())) == len(dots)
