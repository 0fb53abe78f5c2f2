"""#18, #21: the dispatch board's map has a legend of the marks it draws, in French: each kind
with its own shape as well as its colour (core/palette.py), the same pictures as on the map."""

import re

import pytest

from accounts.models import Role
from core.palette import MARKS
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_the_board_has_a_legend_with_a_shape_and_a_colour_per_kind(client, community):
    client.force_login(member(community, Role.DISPATCHER))
    page = client.get("/dispatch/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    legend = page.split('id="board-legend"')[1].split("</section>")[0]
    assert "Légende" in legend and "Intervention faite" in legend and "Zone de mission" in legend
    kinds = re.findall(r'<li data-legend="(\w+)"><svg[^>]*data-mark="(\w+)"', legend)
    assert kinds and all(a == b for a, b in kinds)
    shown = [k for k, _ in kinds]
    # Assets never in the done green, and no two kinds of point share a colour and a shape.
    assert MARKS["asset"].colour != MARKS["done"].colour
    # (A stop is numbered, and draws its state as the intervention's status: same mark.)
    for group in (
        [k for k in shown if not k.startswith("stop_")],
        [k for k in shown if k.startswith("stop_")],
    ):
        points = [(MARKS[k].colour, MARKS[k].shape, MARKS[k].line) for k in group if MARKS[k].shape != "line"]
        assert len(set(points)) == len(points)
    assert {
        MARKS[k].shape for k in ("todo", "scheduled", "in_progress", "done", "not_done", "report", "asset")
    } == {"circle", "ring", "diamond", "square", "octagon", "triangle", "triangle_down"}
    # The page carries the palette for the map script and the pictures it clones.
    assert 'id="ronde-marks"' in page and 'id="ronde-mark-svgs"' in page
