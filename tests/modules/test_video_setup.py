"""Zones drawn on a camera picture: box and lasso selections become polygons in the frame."""

from __future__ import annotations

from core.video.zone_drawing import MAX_VERTICES, grid, parse_vertices, polygon_from_selection


def test_a_box_becomes_a_rectangle_clipped_to_the_frame() -> None:
    selection = {"box": [{"x": [500.4, 100.2], "y": [50, 700]}], "lasso": [], "points": []}
    assert polygon_from_selection(selection, 640, 360) == [
        [100, 50],
        [500, 50],
        [500, 360],
        [100, 360],
    ]


def test_a_lasso_is_thinned_and_rounded() -> None:
    xs = [100 + i for i in range(100)]
    ys = [200 + (i % 7) for i in range(100)]
    selection = {"lasso": [{"x": xs, "y": ys}], "box": []}
    polygon = polygon_from_selection(selection, 640, 360)
    assert 3 <= len(polygon) <= MAX_VERTICES
    assert all(isinstance(v, int) for p in polygon for v in p)


def test_degenerate_selections_give_nothing() -> None:
    assert polygon_from_selection(None, 640, 360) is None
    assert polygon_from_selection({"box": [{"x": [5, 5], "y": [1, 9]}]}, 640, 360) is None
    assert polygon_from_selection({"lasso": [{"x": [1, 2], "y": [1, 2]}]}, 640, 360) is None


def test_the_tap_grid_covers_the_frame() -> None:
    xs, ys = grid(640, 360)
    assert 1000 < len(xs) < 2500 and max(xs) < 640 and max(ys) < 360


def test_the_vertex_table_skips_blank_rows() -> None:
    rows = [{"x": 10.4, "y": 20.6}, {"x": None, "y": 3}, {"x": float("nan"), "y": 1}]
    assert parse_vertices(rows) == [[10, 21]]
