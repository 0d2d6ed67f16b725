"""`sitekit tour` renders every screen of the demo site to a PNG."""

from __future__ import annotations

from PySide6.QtGui import QImage

from app.ui.tour import DIALOGS, SCREENS, WINDOW_SIZE, run_tour


def test_tour_saves_every_screen(qapp, tmp_path):
    saved = run_tour(tmp_path / "tour")
    assert [p.stem for p in saved] == list(SCREENS)
    for path in saved:
        image = QImage(str(path))
        assert not image.isNull(), path
        if path.stem in DIALOGS:  # a dialog is grabbed on its own, at its own size
            assert 200 <= image.width() <= WINDOW_SIZE[0] and 100 <= image.height() <= WINDOW_SIZE[1]
        else:
            assert (image.width(), image.height()) == WINDOW_SIZE
        # not a blank render: a real screen has many colours
        colours = {image.pixel(x, y) for x in range(0, image.width(), 37)
                   for y in range(0, image.height(), 29)}
        assert len(colours) > (4 if path.stem in DIALOGS else 8), path
