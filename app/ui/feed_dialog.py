"""Live > Add feed...: a feed URL, how to read its messages (the mapping's JSON paths), which
fields are personal (hashed or dropped before anything else sees them), and a login.

The login goes to the system keyring when the user asks and one works; otherwise it is kept in
memory for this session only. It never goes into the project file (the mapping does, with the
names of personal fields but never their values). A mapping or URL that cannot work is said in
the dialog, which stays open.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from app.ui.i18n import QT_TR_NOOP, tr

PATH_FIELDS = (  # mapping field -> label
    ("id_path", QT_TR_NOOP("Sensor id")), ("time_path", QT_TR_NOOP("Timestamp")),
    ("kind_path", QT_TR_NOOP("Kind (sensor/mover)")), ("lon_path", QT_TR_NOOP("Longitude")),
    ("lat_path", QT_TR_NOOP("Latitude")), ("h_path", QT_TR_NOOP("Height")),
    ("values_path", QT_TR_NOOP("Values object")), ("units_path", QT_TR_NOOP("Units object")),
)
EXAMPLES = QT_TR_NOOP("mqtt://host:1883/city/#, mqtts://host:8883/site/#, sta+http://host:8080/v1.1, a .jsonl recording, sim://demo")


class FeedDialog(QDialog):
    accepted_feed = Signal(dict)  # {"url", "mapping", "name", "credentials"}

    def __init__(self, parent: QWidget | None = None, url: str = "", mapping: dict | None = None, name: str = "",
                 login_only: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Log in to feed") if login_only else tr("Add live feed"))
        self.url = QLineEdit(url)
        self.url.setPlaceholderText("sim://demo")
        self.url.setToolTip(tr(EXAMPLES))
        self.name = QLineEdit(name)
        self.name.setPlaceholderText(tr("Layer name"))
        self.types = QLineEdit()
        self.types.setPlaceholderText(tr("all sensor types (or e.g. air, traffic)"))
        self.paths: dict[str, QLineEdit] = {}
        mapping_box = QGroupBox(tr("Message mapping (JSON paths)"))
        form = QFormLayout(mapping_box)
        defaults = self._defaults()
        for key, label in PATH_FIELDS:
            edit = QLineEdit(str((mapping or {}).get(key, defaults.get(key, ""))))
            self.paths[key] = edit
            form.addRow(tr(label), edit)
        self.personal = QLineEdit(", ".join((mapping or {}).get("personal", [])))
        self.personal.setPlaceholderText(tr("e.g. plate, person_id, phone"))
        self.personal.setToolTip(tr("Fields that identify a person: never stored, shown or saved in clear"))
        self.personal_mode = QComboBox()
        self.personal_mode.addItem(tr("replaced by a salted hash"), "hash")
        self.personal_mode.addItem(tr("dropped"), "drop")
        if (mapping or {}).get("personal_mode") == "drop":
            self.personal_mode.setCurrentIndex(1)
        form.addRow(tr("Personal fields"), self.personal)
        form.addRow(tr("Personal values are"), self.personal_mode)
        login_box = QGroupBox(tr("Login (optional)"))
        login = QFormLayout(login_box)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox(tr("Remember in the system keyring"))
        self.remember.setToolTip(tr("Never in the project file; without a working keyring it is asked again next time"))
        login.addRow(tr("User"), self.username)
        login.addRow(tr("Password"), self.password)
        login.addRow(self.remember)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow(tr("URL"), self.url)
        top.addRow(tr("Name"), self.name)
        top.addRow(tr("Sensor types"), self.types)
        layout.addLayout(top)
        layout.addWidget(mapping_box)
        layout.addWidget(login_box)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        if login_only:  # the feed is known: only its login is asked
            self.url.setReadOnly(True)
            for w in (self.name, self.types, mapping_box):
                w.setEnabled(False)

    @staticmethod
    def _defaults() -> dict[str, Any]:
        from app.sources.mapping import FeedMapping

        return FeedMapping().to_dict()

    def spec(self) -> dict[str, Any]:
        """What the dialog asks for; raises ValueError with a readable reason."""
        from app.sources.credentials import Credentials
        from app.sources.feed import describe_url
        from app.sources.mapping import FeedMapping

        url = self.url.text().strip()
        if not url:
            raise ValueError(tr("a feed URL is needed ({examples})").format(examples=tr(EXAMPLES)))
        if describe_url(url) == "unknown":
            raise ValueError(tr("not a feed URL: {url} (use {examples})").format(url=url, examples=tr(EXAMPLES)))
        data = {key: edit.text().strip() for key, edit in self.paths.items() if edit.text().strip()}
        personal = [p.strip() for p in self.personal.text().split(",") if p.strip()]
        if personal:
            data["personal"] = personal
            data["personal_mode"] = self.personal_mode.currentData()
        mapping = FeedMapping.from_dict(data).to_dict()  # raises ValueError for a mapping that cannot work
        creds = None
        if self.username.text() or self.password.text():
            creds = Credentials(self.username.text() or None, self.password.text() or None)
            if self.remember.isChecked():
                from app.sources.credentials import save_credentials

                if not save_credentials(url, creds):
                    self.message.setText(tr("No working keyring here: the login is kept for this session only."))
        types = tuple(t.strip() for t in self.types.text().split(",") if t.strip())
        out: dict[str, Any] = {"url": url, "mapping": mapping, "name": self.name.text().strip(), "credentials": creds}
        if types:
            out["sensor_types"] = types
        return out

    def accept(self) -> None:
        try:
            spec = self.spec()
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self.accepted_feed.emit(spec)
        super().accept()
