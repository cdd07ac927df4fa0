"""The interface's language: English source strings, translated through Qt (`tr`), zh_CN complete.

How it works: every user-visible string is written `tr("...")` (this module's `tr`, or `viewers.text.tr`
for text drawn in the 3D view). `pyside6-lupdate` collects them into `assets/i18n/twinscape_<lang>.ts`
(Qt Linguist XML, edited by translators); `make setup` compiles that to a `.qm` with `pyside6-lrelease`
into `build/i18n/` (binaries are never committed). When the compiled file is missing or older than
the `.ts` (a fresh clone run without make), it is compiled into the cache at start.

The language follows the system locale (LANGUAGE / LC_ALL / LC_MESSAGES / LANG), unless View >
Language chose one (setting `language`, applied at the next start). Numbers and dates follow the
same locale through QLocale's default; units stay SI.
"""
from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

from app.model.i18n_marks import QT_TR_NOOP  # noqa: F401 - re-exported: one definition

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
TS_DIR = ROOT / "assets" / "i18n"
BUILD_DIR = ROOT / "build" / "i18n"
LANGUAGES = {"en": "English", "zh_CN": "中文 (简体)"}  # i18n: not shown (each in its own language) code -> name shown in View > Language, in its own language
SETTING = "language"  # "" or absent: follow the system
_installed: list[QTranslator] = []


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """The translation of `text` in the interface's language (the text itself in English)."""
    return QCoreApplication.translate("", text, disambiguation, n)


def system_language() -> str:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value.split(":")[0].split(".")[0]
    return QLocale.system().name()


def chosen_language(settings: QSettings | None) -> str:
    """A code of LANGUAGES: the setting when set, else the system's language, else English."""
    wanted = str(settings.value(SETTING, "") or "") if settings is not None else ""
    wanted = wanted or system_language()
    if wanted in LANGUAGES:
        return wanted
    base = wanted.split("_")[0]
    return next((code for code in LANGUAGES if code.split("_")[0] == base), "en")


def _lrelease() -> str | None:
    import PySide6

    exe = Path(PySide6.__file__).parent / "lrelease"
    return str(exe) if exe.is_file() else None


def compile_ts(ts: Path, qm: Path) -> bool:
    """pyside6-lrelease ts -> qm (atomic); False when the tool is missing or fails."""
    exe = _lrelease()
    if exe is None:
        return False
    qm.parent.mkdir(parents=True, exist_ok=True)
    tmp = qm.with_suffix(f".{os.getpid()}.part")
    try:
        done = subprocess.run([exe, "-silent", str(ts), "-qm", str(tmp)], capture_output=True, timeout=60, check=False)
        if done.returncode != 0 or not tmp.is_file():
            log.warning("lrelease failed on %s: %s", ts, done.stderr.decode(errors="replace")[:300])
            return False
        os.replace(tmp, qm)
        return True
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("lrelease failed on %s: %s", ts, exc)
        return False
    finally:
        tmp.unlink(missing_ok=True)


def qm_file(language: str) -> Path | None:
    """The compiled translation for `language`: the build's, else one compiled into the cache now."""
    ts = TS_DIR / f"twinscape_{language}.ts"
    if not ts.is_file():
        return None
    built = BUILD_DIR / f"twinscape_{language}.qm"
    if built.is_file() and built.stat().st_mtime >= ts.stat().st_mtime:
        return built
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "twinscape" / "i18n" / built.name
    if cache.is_file() and cache.stat().st_mtime >= ts.stat().st_mtime:
        return cache
    return cache if compile_ts(ts, cache) else None


def install_translator(language: str) -> bool:
    """Translate the interface into `language` (Twinscape's strings and Qt's own dialogs); English
    removes any translation. Returns whether a translation is in force. Call before building windows."""
    app = QCoreApplication.instance()
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    QLocale.setDefault(QLocale(language if language != "en" else "en_US"))
    if language == "en" or app is None:
        return False
    ours = qm_file(language)
    if ours is None:
        log.warning("no translation for %s: the interface stays in English", language)
        return False
    for path in (str(ours), str(Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)) / f"qtbase_{language}.qm")):
        translator = QTranslator(app)
        if translator.load(path):
            app.installTranslator(translator)
            _installed.append(translator)
    return bool(_installed)


def add_language_menu(win, parent_menu) -> None:
    """View > Language: System, English, 中文 (简体); remembered, applied at the next start."""
    from PySide6.QtGui import QAction, QActionGroup

    menu = parent_menu.addMenu(tr("&Language"))
    group = QActionGroup(menu)
    current = str(win.settings.value(SETTING, "") or "")
    for code, name in (("", tr("System")), *LANGUAGES.items()):
        action = QAction(name, menu, checkable=True)
        action.setChecked(code == current)
        action.setData(code)
        action.triggered.connect(lambda _=False, c=code: _choose(win, c))
        group.addAction(action)
        menu.addAction(action)
    win.language_menu = menu


def _choose(win, code: str) -> None:
    win.settings.setValue(SETTING, code)
    win.statusBar().showMessage(tr("The language changes when Twinscape starts next."), 8000)


def main(argv: list[str] | None = None) -> int:
    """`python -m app.ui.i18n`: compile every .ts into build/i18n (run by make setup)."""
    failed = 0
    for ts in sorted(TS_DIR.glob("twinscape_*.ts")):
        ok = compile_ts(ts, BUILD_DIR / ts.with_suffix(".qm").name)
        print(f"{'compiled' if ok else 'FAILED'} {ts.name}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
