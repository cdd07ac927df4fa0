"""Start the GUI: a QApplication, the main window, and the files or the demo."""
from __future__ import annotations

import sys


def run_gui(paths: list[str], demo: bool = False) -> int:
    from PySide6.QtWidgets import QApplication

    from app.demo import demo_project_path
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Twinscape")
    window = MainWindow()
    window.show()
    window.open_paths([str(demo_project_path())] if demo else paths)
    return app.exec()
