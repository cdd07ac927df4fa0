"""A Chinese interface (issue 17 item 2): every user-visible string goes through Qt's translation
(tr), the zh_CN translation is complete and matches the code, and the app started in zh_CN shows
Chinese menus, docks and dialogs. The language follows the system unless View > Language says."""
from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.ui import i18n
from tests.ui.i18n_scan import leftovers

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "assets" / "i18n" / "twinscape_zh_CN.ts"
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%p%|%n")
SHOWN_VIEWERS = ("visuals.py", "schedule_status_colours.py", "legends.py", "overlays.py", "text.py")


def _ts_messages(path: Path) -> dict[str, tuple[str, str | None]]:
    out = {}
    for message in ET.parse(path).iter("message"):
        translation = message.find("translation")
        out[message.findtext("source") or ""] = (translation.text or "", translation.get("type"))
    return out


def _code_sources(tmp_path: Path) -> set[str]:
    files = [str(p) for folder in ("app", "viewers") for p in sorted((ROOT / folder).rglob("*.py"))]
    out = tmp_path / "code.ts"
    exe = Path(i18n._lrelease() or "").with_name("lupdate")
    if not exe.is_file():
        pytest.skip("pyside6-lupdate is not installed")
    subprocess.run([str(exe), "-silent", "-no-obsolete", "-locations", "none", *files, "-ts", str(out)], check=True,
                   capture_output=True, timeout=120)
    return set(_ts_messages(out))


def test_the_translation_file_matches_the_code_and_is_complete(tmp_path: Path) -> None:
    code = _code_sources(tmp_path)
    ts = _ts_messages(TS)
    assert sorted(code - set(ts)) == [], "strings in the code missing from the .ts: run `make i18n` and translate them"
    assert sorted(set(ts) - code) == [], "strings in the .ts no longer in the code: run `make i18n`"
    unfinished = [s for s, (text, kind) in ts.items() if not text or kind in ("unfinished", "vanished", "obsolete")]
    assert unfinished == []
    wrong = [s for s, (text, _) in ts.items() if sorted(PLACEHOLDER.findall(s)) != sorted(PLACEHOLDER.findall(text))]
    assert wrong == [], "a translation must keep every {placeholder} of its source"
    accel = [s for s, (text, _) in ts.items() if re.search(r"&[A-Za-z]", s) and not re.search(r"&[A-Za-z]", text)]
    assert accel == [], "menu accelerators (&F) are kept, Chinese style: 文件(&F)"


def test_no_user_visible_string_bypasses_tr() -> None:
    files = sorted((ROOT / "app" / "ui").glob("*.py")) + [ROOT / "viewers" / n for n in SHOWN_VIEWERS]
    found = {str(p.relative_to(ROOT)): leftovers(p) for p in files}
    assert {k: v for k, v in found.items() if v} == {}


def test_language_follows_the_system_unless_a_setting_says(monkeypatch, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.chosen_language(settings) == "zh_CN"
    monkeypatch.setenv("LANG", "zh_SG.UTF-8")
    assert i18n.chosen_language(settings) == "zh_CN"  # another Chinese locale: the Simplified translation
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert i18n.chosen_language(settings) == "en"
    settings.setValue(i18n.SETTING, "zh_CN")
    assert i18n.chosen_language(settings) == "zh_CN"


@pytest.fixture
def chinese(qtbot, tmp_path: Path):
    assert i18n.install_translator("zh_CN")
    yield
    i18n.install_translator("en")


def test_the_app_started_in_zh_cn_speaks_chinese(qtbot, tmp_path: Path, chinese) -> None:
    from PySide6.QtCore import QLocale, QSettings
    from PySide6.QtWidgets import QDockWidget

    from app.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(900, 520)
    win.show()
    qtbot.waitExposed(win)
    try:
        menus = [a.text() for a in win.menuBar().actions()]
        assert menus and all(CJK.search(t) for t in menus), menus
        assert "文件(&F)" in menus
        docks = [d.windowTitle() for d in win.findChildren(QDockWidget)]
        assert docks and all(CJK.search(t) for t in docks), docks
        english = [a.text() for m in win.menuBar().actions() for a in m.menu().actions()
                   if a.text() and not a.isSeparator() and not CJK.search(a.text()) and re.search(r"[A-Za-z]{3,}", a.text())
                   and a.text() not in ("中文 (简体)", "English")]
        assert english == [], english  # every menu item is translated (names of languages stay in their own language)
        from app.ui.timeline import SetTimeDialog

        dialog = SetTimeDialog(win.scene.clock, win)
        assert CJK.search(dialog.windowTitle())
        dialog.close()
        assert QLocale().name() == "zh_CN"  # numbers and dates follow the language
    finally:
        win.close()
        win.view.close()


def test_the_demo_in_chinese_names_its_layers_bookmarks_and_tours_consistently(tmp_path: Path) -> None:
    """The localized demo replaces every name everywhere it is used (a comparison names its scan,
    a tour its bookmarks and layers), so the copy opens as the original does."""
    import json

    from app.demo import DEMO_TEXTS, demo_names, demo_project_path, is_demo_project, localized_demo_project
    from app.model.project import read_project

    original = json.loads(demo_project_path().read_text(encoding="utf-8"))
    assert sorted(demo_names(original) - set(DEMO_TEXTS)) == [], "name these in app/demo.py DEMO_TEXTS"
    assert i18n.install_translator("zh_CN")
    try:
        path = localized_demo_project(i18n.tr, "zh_CN", tmp_path / "localized-demo")
    finally:
        i18n.install_translator("en")
    assert path != demo_project_path() and is_demo_project(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    names = demo_names(doc)
    assert names and all(CJK.search(n) for n in names), names
    text = path.read_text(encoding="utf-8")
    assert not any(f'"{n}"' in text for n in demo_names(original))  # no English name left anywhere (references included)
    copy, source = read_project(path), read_project(demo_project_path())  # sources resolve from the copy's folder too
    assert [layer.path for layer in copy.layers] == [layer.path for layer in source.layers]
    assert [layer.missing for layer in copy.layers] == [layer.missing for layer in source.layers]


def test_no_literal_tr_hides_inside_an_f_string() -> None:
    """pyside6-lupdate does not look inside f-strings: f"{tr('Deviation (m)')}" never reached the .ts."""
    hidden = [f"{p.relative_to(ROOT)}:{n}" for folder in ("app", "viewers") for p in sorted((ROOT / folder).rglob("*.py"))
              for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if re.search(r"\{tr\(\s*[\"']", line)]
    assert hidden == []
