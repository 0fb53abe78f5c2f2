"""core.spreadsheet: which CSV cells a spreadsheet would run, and what is left alone."""

import io

import pytest

from core.spreadsheet import csv_cell, csv_writer


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1", "\r=1", "-", "=", "+33 6 12 34 56 78"],
)
def test_formula_starts_are_quoted(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-3.5", "+2", "-1e3", "-0,5", "12", "Mur", "", "a=b", -3.5, 7, None])
def test_numbers_and_plain_text_are_left_alone(value):
    assert csv_cell(value) == value


def test_writer_quotes_every_cell_of_every_row():
    buffer = io.StringIO()
    csv_writer(buffer).writerows([["=A1", -1], ["ok", "@x"]])
    assert buffer.getvalue().splitlines() == ["'=A1,-1", "ok,'@x"]
