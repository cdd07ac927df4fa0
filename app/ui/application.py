"""Start the GUI: a QApplication, the main window, and the files or the demo."""
from __future__ import annotations

import json
import logging
import sys
import time

SCREENSHOT_SETTLE_S = 60.0  # longest wait for streamed tiles before --screenshot grabs the window


def _qt_messages_to_log() -> None:
    """Qt's own warnings (fonts, platform plugin notices) are for the log file, like numpy's."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    log = logging.getLogger("qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    qInstallMessageHandler(lambda kind, _context, text: log.log(levels.get(kind, logging.WARNING), "%s", text))


def run_gui(paths: list[str], demo: bool = False, screenshot: str | None = None,
            size: tuple[int, int] = (1500, 900)) -> int:
    """With `screenshot`, the window is grabbed to that PNG once every load has finished, then closed
    (for docs and slides, and to check `make run` without a person at the screen)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app import __version__
    from app.logs import setup_logging
    from app.ui.main_window import MainWindow

    setup_logging(vtk=True)  # library warnings go to the log file, never to the terminal or a dialog
    _qt_messages_to_log()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Twinscape")  # i18n: not shown (settings and log paths)
    app.setApplicationVersion(__version__)
    from PySide6.QtCore import QSettings

    from app.ui.i18n import chosen_language, install_translator

    settings = QSettings("Twinscape", "Twinscape")
    install_translator(chosen_language(settings))  # the system's language unless View > Language chose one
    window = MainWindow(settings=settings)
    window.resize(*size)
    window.show()
    if demo:  # the demo's layer, bookmark and tour names in the interface's language
        from app.demo import LOCALIZED_FOLDER, localized_demo_project
        from app.ui.i18n import tr
        from assets.demo.generate import default_cache_root

        project = localized_demo_project(tr, chosen_language(settings), default_cache_root() / LOCALIZED_FOLDER)
    window.open_paths([str(project)] if demo else paths)
    if screenshot:
        started = time.monotonic()
        quiet = [0]  # consecutive checks with no load and no tile pending

        def grab_when_loaded() -> None:
            # Streamed tilesets refine after the load ends: wait until no tile is pending twice
            # in a row (bounded, so a dead server cannot keep the window open).
            window.canvas.render()
            pending = window.canvas.stats().get("tiles_pending", 0)
            quiet[0] = 0 if window.tasks.tasks or pending or window.comparisons.busy() else quiet[0] + 1
            if quiet[0] < 3 and time.monotonic() - started < SCREENSHOT_SETTLE_S:
                QTimer.singleShot(200, grab_when_loaded)
                return
            window.canvas.render()
            window.grab().save(screenshot)
            for message in window.errors:
                print(f"error: {message}", file=sys.stderr, flush=True)
            stats = window.canvas.stats()  # what the picture shows, as `render` reports it
            print(json.dumps({"screenshot": screenshot, **{k: v for k, v in stats.items() if isinstance(v, (int, float))}}, ensure_ascii=False),
                  flush=True)
            app.exit(2 if window.errors else 0)

        QTimer.singleShot(300, grab_when_loaded)
    return app.exec()
