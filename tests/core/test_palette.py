"""#21: the one palette of the maps (core/palette.py) meets its own promises, without a browser.

The browser test (tests/e2e/test_map_marks.py) checks what each page draws; this one checks
every mark of the palette, including those a page shows only now and then."""

import numpy as np
import pytest

from core.palette import (
    BASE_COLOURS,
    DISTRICT_HATCH,
    DISTRICT_TINTS,
    HALO,
    INK,
    MARKS,
    SHAPES,
    contrast,
    mark_svg,
    over,
    text_colour,
)
from tiles.heatmap.render import _palette
from tiles.styles import _basemap_layers


def test_the_base_colours_are_those_the_base_map_draws():
    drawn = {
        layer["paint"]["background-color"] for layer in _basemap_layers() if layer["type"] == "background"
    }
    drawn |= {layer["paint"]["fill-color"] for layer in _basemap_layers() if layer["type"] == "fill"}
    assert drawn <= set(BASE_COLOURS)


@pytest.mark.parametrize("kind", sorted(MARKS))
def test_every_mark_reaches_3_to_1_on_the_base_map_and_has_a_shape(kind):
    mark = MARKS[kind]
    assert mark.shape in SHAPES or mark.shape == "line"
    if mark.colour == HALO:  # a hollow mark: its dashed ink outline carries it
        assert mark.line == "dashed" and min(contrast(INK, b) for b in BASE_COLOURS) >= 3
    else:
        assert min(contrast(mark.colour, b) for b in BASE_COLOURS) >= 3, kind
    # A number written on it reads at 4.5:1.
    assert contrast(text_colour(kind), mark.colour) >= 4.5
    assert f'data-mark="{kind}"' in mark_svg(kind)


def test_no_two_kinds_of_job_look_the_same():
    jobs = ["todo", "scheduled", "in_progress", "done", "not_done", "report", "asset"]
    assert len({MARKS[k].shape for k in jobs}) == len(jobs)
    assert len({MARKS[k].colour for k in jobs}) == len(jobs)


def test_every_coloured_heatmap_pixel_reaches_3_to_1_on_the_land():
    land = BASE_COLOURS[1]
    palette = _palette()[1:]  # entry 0 is transparent
    seen = [over("#{:02x}{:02x}{:02x}".format(*rgba[:3]), rgba[3] / 255, land) for rgba in palette]
    assert min(contrast(c, land) for c in seen) >= 3
    assert np.all(palette[:, 3] > 0)


def test_district_classes_are_told_apart_by_their_hatching_in_ink():
    assert len(set(DISTRICT_HATCH)) == len(DISTRICT_HATCH) == len(DISTRICT_TINTS)
    assert all(contrast(INK, tint) >= 3 for tint in DISTRICT_TINTS)
    assert min(contrast(MARKS["zone"].colour, b) for b in BASE_COLOURS) >= 3  # their outline
