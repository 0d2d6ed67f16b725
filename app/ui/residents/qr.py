"""A QR code as a QImage, encoded by segno (a QR encoder is not something to hand-write).

The image is drawn module by module at a whole number of pixels per module and shown
unscaled, so every edge stays sharp (a smoothed, fractionally scaled code is what phone
cameras misread). The quiet zone, four light modules on each side, is part of the image:
a code drawn flush against a coloured card does not scan.
"""

from __future__ import annotations

import segno
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter

QUIET_ZONE = 4  # modules; what the QR standard asks for
ERROR_LEVEL = "M"  # 15 % of the code may be smudged or covered and it still reads


def qr_code(content: str) -> segno.QRCode:
    # micro=False: a Micro QR code is smaller, but door stations and phones read plain QR
    return segno.make(content, error=ERROR_LEVEL, micro=False, boost_error=False)


def qr_matrix(content: str) -> list[list[bool]]:
    """The modules of `content`'s code including the quiet zone, True = dark."""
    return [[bool(module) for module in row]
            for row in qr_code(content).matrix_iter(border=QUIET_ZONE)]


def qr_image(content: str, size: int = 240) -> QImage:
    """The code at the largest whole pixels-per-module that fits in `size` x `size`."""
    matrix = qr_matrix(content)
    modules = len(matrix)
    scale = max(1, size // modules)
    side = modules * scale
    image = QImage(side, side, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    black = QColor("black")
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                painter.fillRect(QRect(x * scale, y * scale, scale, scale), black)
    painter.end()
    return image


def image_matrix(image: QImage, modules: int) -> list[list[bool]]:
    """Read the modules back from an image `qr_image` drew (each module's centre pixel)."""
    scale = image.width() // modules
    return [[QColor(image.pixel(x * scale + scale // 2, y * scale + scale // 2)).lightness() < 128
             for x in range(modules)] for y in range(modules)]
