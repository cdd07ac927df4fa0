"""Start the GUI: a QApplication, the main window, and the files or the demo."""
from __future__ import annotations

import sys


def run_gui(paths: list[str], demo: bool = False, screenshot: str | None = None,
            size: tuple[int, int] = (1500, 900)) -> int:
    """With `screenshot`, the window is grabbed to that PNG once every load has finished, then closed
    (for docs and slides, and to check `make run` without a person at the screen)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.demo import demo_project_path
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Twinscape")
    window = MainWindow()
    window.resize(*size)
    window.show()
    window.open_paths([str(demo_project_path())] if demo else paths)
    if screenshot:
        def grab_when_loaded() -> None:
            if window.tasks.tasks:
                QTimer.singleShot(100, grab_when_loaded)
                return
            window.canvas.render()
            window.grab().save(screenshot)
            for message in window.errors:
                print(f"error: {message}", file=sys.stderr, flush=True)
            print(screenshot, flush=True)
            app.exit(2 if window.errors else 0)

        QTimer.singleShot(300, grab_when_loaded)
    return app.exec()
