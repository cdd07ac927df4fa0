"""Credentials live in the system keyring (an in-memory backend here), never in URLs, mappings or logs;
a headless machine's keyring has no backend, and then nothing is stored (the GUI asks instead)."""
from __future__ import annotations

import json
import logging

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from app.sources.credentials import Credentials, delete_credentials, keyring_key, load_credentials, save_credentials
from app.sources.feed import FeedMapping, open_feed
from tests.broker import broker_factory  # noqa: F401 (fixture)


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def test_stored_per_server_and_loaded_back(memory_keyring) -> None:
    creds = Credentials("city", "s3cret", ca_file="/etc/ca.pem")
    assert save_credentials("mqtts://broker.example:8883/city/#", creds)
    assert load_credentials("mqtts://broker.example:8883/other/topic") == creds  # same server, same login
    assert load_credentials("mqtts://broker.example:9999/city/#") is None
    assert keyring_key("mqtt://h:1883/a/#?qos=1") == "mqtt://h:1883"
    assert delete_credentials("mqtts://broker.example:8883/x") and load_credentials("mqtts://broker.example:8883/x") is None


def test_headless_keyring_gives_none_and_stores_nothing(caplog) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        caplog.set_level(logging.DEBUG)
        assert load_credentials("mqtt://h:1883/x") is None
        assert save_credentials("mqtt://h:1883/x", Credentials("u", "pw-123")) is False
    finally:
        keyring.set_keyring(before)
    assert "pw-123" not in caplog.text


def test_password_never_shown() -> None:
    c = Credentials("u", "pw-123")
    assert "pw-123" not in repr(c) and "pw-123" not in str(c) and "***" in repr(c)


def test_a_feed_logs_in_with_keyring_credentials_and_saves_none(broker_factory, memory_keyring, capsys) -> None:
    b = broker_factory(users={"city": "s3cret"})
    url = b.url("x/#")
    save_credentials(url, Credentials("city", "s3cret"))
    feed = open_feed(url, FeedMapping(personal=["plate"]), credentials=load_credentials(url))
    feed.start()
    try:
        assert feed.wait_ready(5), feed.stats
    finally:
        feed.stop()
    assert "s3cret" not in feed.url and "s3cret" not in json.dumps(FeedMapping().to_dict())
    from app.cli import main  # the CLI reads the same keyring entry
    assert main(["feed", "listen", url, "--duration", "0.2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["state"] == "stopped"


def test_split_credentials_from_urls() -> None:
    from app.sources.credentials import split_credentials
    from app.sources.sensorthings import SensorThingsFeed

    assert split_credentials("mqtts://u%40x:p%3Aw@h:8883/a/#") == ("mqtts://h:8883/a/#", Credentials("u@x", "p:w"))
    assert split_credentials("sim://demo") == ("sim://demo", None)
    feed = SensorThingsFeed("sta+http://reader:pw-9@h:8080/v1.1")
    assert feed.url == "sta+http://h:8080/v1.1" and feed.credentials == Credentials("reader", "pw-9")
