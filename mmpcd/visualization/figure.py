"""Figures of fixed pixel size: a grid of panels, each with a title band above it.

The tools promise PNGs of a known size (``rows * (panel_h + title_px)`` by
``cols * panel_w`` pixels), so axes are placed by hand instead of by ``tight_layout``, and
figures are drawn with matplotlib's object API (no pyplot state, no display needed).
"""

from typing import Optional, Sequence, Tuple, Union

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100
PanelSize = Union[int, Tuple[int, int]]


class PanelGrid:
    """A ``rows x cols`` grid of panels of ``panel`` pixels, each under a ``title_px`` band.

    Args:
        rows: Panel rows.
        cols: Panel columns.
        panel: Panel size in pixels, ``side`` or ``(width, height)``. Defaults to 256.
        title_px: Height of the title band above each panel row. Defaults to 24.
        fontsize: Title size in points; defaults to half the band (one line).
    """

    def __init__(
        self,
        rows: int,
        cols: int,
        panel: PanelSize = 256,
        title_px: int = 24,
        fontsize: Optional[float] = None,
    ) -> None:
        if rows < 1 or cols < 1:
            raise ValueError(f'a figure needs at least one panel, got {rows} x {cols}.')
        self.panel_w, self.panel_h = (panel, panel) if isinstance(panel, int) else panel
        self.rows, self.cols, self.title_px = rows, cols, title_px
        self.height = rows * (self.panel_h + title_px)
        self.width = cols * self.panel_w
        self.figure = Figure(figsize=(self.width / DPI, self.height / DPI), dpi=DPI)
        FigureCanvasAgg(self.figure)
        self.fontsize = fontsize or max(6.0, 0.5 * title_px * 72 / DPI)

    def panel(
        self,
        row: int,
        col: int,
        title: str = '',
        colspan: int = 1,
        margins: Sequence[float] = (0.0, 0.0, 0.0, 0.0),
        axis: bool = False,
    ) -> Axes:
        """Axes over panel ``(row, col)`` spanning ``colspan`` columns.

        Args:
            row, col: Position of the (first) panel.
            title: Text of the title band.
            colspan: Panels the axes spans to the right.
            margins: ``(left, bottom, right, top)`` inner margins in pixels, for tick labels.
            axis: Keep the axis (ticks, frame); images leave it off.
        """
        if not (0 <= row < self.rows and 0 <= col and col + colspan <= self.cols):
            raise ValueError(
                f'panel ({row}, {col}) x {colspan} is outside the {self.rows} x {self.cols} grid.'
            )
        left_px = col * self.panel_w + margins[0]
        bottom_px = (self.rows - 1 - row) * (self.panel_h + self.title_px) + margins[1]
        width_px = colspan * self.panel_w - margins[0] - margins[2]
        height_px = self.panel_h - margins[1] - margins[3]
        ax = self.figure.add_axes(
            (
                left_px / self.width,
                bottom_px / self.height,
                width_px / self.width,
                height_px / self.height,
            )
        )
        if not axis:
            ax.set_axis_off()
        if title:
            top = (bottom_px - margins[1] + self.panel_h + self.title_px / 2) / self.height
            center = (col * self.panel_w + colspan * self.panel_w / 2) / self.width
            self.figure.text(center, top, title, ha='center', va='center', fontsize=self.fontsize)
        return ax

    def save(self, path: str) -> None:
        """Write the figure as a PNG of exactly ``(height, width)`` pixels."""
        self.figure.savefig(path, dpi=DPI, format='png')
