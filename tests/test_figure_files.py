"""A report's figures as files (`analysis.runner.records`): the PNG cut from one drawing is the image
``savefig(bbox_inches="tight")`` makes, and the SVG is cut to the same box."""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("agg")
import matplotlib.pyplot as plt

from analysis.runner.records import _save_svg, _tight_png


def _savefig_png(fig) -> np.ndarray:
    buffer = io.BytesIO()
    fig.canvas.print_figure(buffer, format="png", bbox_inches="tight", dpi=fig.dpi, facecolor="white")
    return np.asarray(Image.open(buffer))


def _line(**axes):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.set(**axes)
    return fig


def _edge_to_edge():
    """The axes 1% from every edge, no ticks: the padded box is beyond the figure, the content is not."""
    fig = plt.figure(figsize=(4, 3))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.plot([0, 1], [0, 1])
    ax.set(xticks=[], yticks=[], facecolor="0.8")
    return fig


def _tight_laid_out():
    fig = _line(xlabel="day", ylabel="closeness", title="A title")
    fig.tight_layout()
    return fig


@pytest.mark.parametrize("make", [_tight_laid_out, lambda: _line(xticks=[], yticks=[]), _edge_to_edge],
                         ids=["tight_layout", "no ticks", "padding beyond the figure"])  # fmt: skip
def test_the_png_cut_from_one_drawing_is_savefigs_tight_png(make):
    fig = make()
    try:
        data, tight = _tight_png(fig)
        assert tight is not None  # cut from the drawing, not savefig's route
        ours = np.asarray(Image.open(io.BytesIO(data)))
        theirs = _savefig_png(fig)
        assert ours.shape == theirs.shape
        assert np.array_equal(ours, theirs)
    finally:
        plt.close(fig)


def test_content_beyond_the_figure_takes_savefigs_route():
    fig = plt.figure(figsize=(4, 3))
    ax = fig.add_axes((0, 0, 1, 1))  # tick labels outside the figure
    ax.plot([0, 1], [0, 1])
    ax.legend(["a legend beside the axes"], bbox_to_anchor=(1.6, 1))
    try:
        data, tight = _tight_png(fig)
        assert tight is None
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), _savefig_png(fig))
    finally:
        plt.close(fig)


def _svg_size(path) -> tuple[float, float]:
    match = re.search(r'<svg[^>]*width="([\d.]+)pt" height="([\d.]+)pt"', path.read_text(encoding="utf-8"))
    return float(match.group(1)), float(match.group(2))


def test_the_svg_is_cut_to_the_same_box_and_the_figure_keeps_its_layout_engine(tmp_path):
    fig = _tight_laid_out()
    try:
        engine = fig.get_layout_engine()
        _, tight = _tight_png(fig)
        _save_svg(fig, tmp_path / "ours.svg", tight)
        fig.savefig(tmp_path / "theirs.svg", format="svg", bbox_inches="tight", facecolor="white")
        assert fig.get_layout_engine() is engine
        ours, theirs = _svg_size(tmp_path / "ours.svg"), _svg_size(tmp_path / "theirs.svg")
        assert ours == pytest.approx(theirs, abs=1.0)  # points: the box measured with Agg's text metrics
        assert ours == pytest.approx((tight.width * 72, tight.height * 72), abs=0.01)
    finally:
        plt.close(fig)
