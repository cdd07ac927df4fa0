"""The GUI in a child process for the crash test (tests/ui/test_autosave.py): opens a project,
changes a layer, the camera and the bookmarks, and autosaves every 0.3 s until it is killed.

Usage: python -m tests.ui.autosave_driver PROJECT SETTINGS_INI
"""
from __future__ import annotations

import sys


def main(project: str, settings_path: str) -> int:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from app.model.scene import Bookmark, Camera
    from app.ui.main_window import MainWindow

    settings = QSettings(settings_path, QSettings.Format.IniFormat)
    settings.setValue("autosave/minutes", 0.005)  # 0.3 s: the test need not wait three minutes
    win = MainWindow(settings=settings)
    win.resize(400, 300)
    win.show()
    win.open_paths([project])

    def change() -> None:
        if win.tasks.tasks or not len(win.scene.layers):
            QTimer.singleShot(100, change)
            return
        win.scene.layers[0].opacity = 0.4  # an undoable change: the project is now unsaved
        win.canvas.set_camera(Camera(position=(150.0, -90.0, 70.0), focal_point=(10.0, 20.0, 1.0)))
        win.scene.bookmarks.append(Bookmark("Crane", Camera(position=(30.0, 40.0, 50.0))))
        print("changed", flush=True)

    QTimer.singleShot(100, change)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
