"""The look: one style sheet and the few colours widgets paint themselves.

Widgets opt in with dynamic properties (`role`, `kind`) instead of per-widget style
sheets, so the whole app changes in one place.
"""

from __future__ import annotations

ACCENT = "#2563eb"
ACCENT_DARK = "#1d4ed8"
OK = "#16a34a"
WARN = "#d97706"
ERROR = "#dc2626"
MUTED = "#64748b"
TEXT = "#0f172a"
BORDER = "#d8dee6"
SURFACE = "#f4f6f9"
NAV = "#1e293b"

STATUS_COLOURS = {
    "online": OK,
    "connecting": WARN,
    "reconnecting": WARN,
    "stopped": MUTED,
    "signed_out": ERROR,
}

STYLE_SHEET = f"""
QMainWindow, QWidget#Content {{ background: {SURFACE}; }}
QWidget {{ color: {TEXT}; }}

QWidget#Nav {{ background: {NAV}; }}
QLabel#NavTitle {{ color: white; font-size: 18px; font-weight: 600; padding: 18px 18px 2px 18px; }}
QLabel#NavSubtitle {{ color: #94a3b8; font-size: 11px; padding: 0 18px 14px 18px; }}
QListWidget#NavList {{ background: transparent; border: none; color: #cbd5e1; font-size: 14px;
    outline: 0; }}
QListWidget#NavList::item {{ padding: 10px 18px; border-left: 3px solid transparent; }}
QListWidget#NavList::item:selected {{ background: #334155; color: white;
    border-left: 3px solid {ACCENT}; }}
QListWidget#NavList::item:hover:!selected {{ background: #273449; }}

QFrame[card="true"] {{ background: white; border: 1px solid {BORDER}; border-radius: 8px; }}
QLabel[role="title"] {{ font-size: 20px; font-weight: 600; }}
QLabel[role="heading"] {{ font-size: 15px; font-weight: 600; }}
QLabel[role="section"] {{ font-size: 12px; font-weight: 600; color: {MUTED};
    text-transform: uppercase; }}
QLabel[role="subtitle"] {{ color: {MUTED}; font-size: 13px; }}
QLabel[role="hint"] {{ color: {MUTED}; font-size: 12px; }}
QLabel[role="field-error"] {{ color: {ERROR}; font-size: 12px; }}
QLabel[role="value"] {{ font-size: 18px; font-weight: 600; }}

QPushButton {{ padding: 6px 14px; border: 1px solid {BORDER}; border-radius: 6px;
    background: white; }}
QPushButton:hover {{ border-color: #b6c0cc; background: #f8fafc; }}
QPushButton:disabled {{ color: #9aa5b1; background: #f1f3f5; }}
QPushButton[primary="true"] {{ background: {ACCENT}; color: white; border-color: {ACCENT};
    font-weight: 600; }}
QPushButton[primary="true"]:hover {{ background: {ACCENT_DARK}; }}
QPushButton[primary="true"]:disabled {{ background: #93b4f5; border-color: #93b4f5; color: white; }}
QPushButton[link="true"] {{ border: none; background: transparent; color: {ACCENT};
    padding: 0; text-align: left; }}
QPushButton[link="true"]:hover {{ text-decoration: underline; }}
QPushButton[choice="true"] {{ text-align: left; padding: 14px 16px; font-size: 14px; }}

QLineEdit, QComboBox {{ padding: 5px 8px; border: 1px solid {BORDER};
    border-radius: 6px; background: white; min-height: 20px; }}
QComboBox::drop-down {{ border: none; width: 26px; }}
QComboBox::down-arrow {{ image: url(@ARROW@); width: 10px; height: 6px; }}
QLineEdit:focus, QComboBox:focus {{ border-color: {ACCENT}; }}
QSpinBox {{ min-height: 26px; }}
QLineEdit[invalid="true"] {{ border-color: {ERROR}; }}

QFrame[banner="error"] {{ background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px; }}
QFrame[banner="warning"] {{ background: #fffbeb; border: 1px solid #fde68a; border-radius: 6px; }}
QFrame[banner="info"] {{ background: #eff6ff; border: 1px solid #bfdbfe; border-radius: 6px; }}
QFrame[banner="success"] {{ background: #f0fdf4; border: 1px solid #bbf7d0; border-radius: 6px; }}
QFrame[banner] QLabel {{ background: transparent; }}

QTableView, QTreeView {{ background: white; border: 1px solid {BORDER}; border-radius: 6px;
    alternate-background-color: #f8fafc; selection-background-color: #dbeafe;
    selection-color: {TEXT}; gridline-color: transparent; }}
QTableView::item {{ padding: 0 8px; }}
QTreeView::item {{ padding: 4px 2px; }}
QHeaderView::section {{ background: #f1f5f9; border: none; border-bottom: 1px solid {BORDER};
    padding: 6px 8px; font-weight: 600; color: #334155; }}

QStatusBar {{ background: white; border-top: 1px solid {BORDER}; }}
QStatusBar QLabel {{ padding: 0 8px; color: #334155; }}
QScrollArea {{ border: none; background: transparent; }}
QWidget#ScrollBody {{ background: transparent; }}
"""


def style_sheet() -> str:
    """The style sheet, with the combo-box arrow drawn once into a temporary PNG.

    Styling a QComboBox's frame hides the platform arrow, and a style sheet can only
    show an image from a file (no resource compiler in this project).
    """
    import tempfile
    from pathlib import Path

    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor, QPainter, QPixmap, QPolygonF

    path = Path(tempfile.gettempdir()) / "sitekit-ui" / "arrow-down.png"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pixmap = QPixmap(20, 12)
        pixmap.fill(QColor(0, 0, 0, 0))  # (Qt.GlobalColor would cost start-up time)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(MUTED))
        painter.setBrush(QColor(MUTED))
        painter.drawPolygon(QPolygonF([QPointF(1, 1), QPointF(19, 1), QPointF(10, 11)]))
        painter.end()
        pixmap.save(str(path))
    return STYLE_SHEET.replace("@ARROW@", path.as_posix())


def polish(widget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()
