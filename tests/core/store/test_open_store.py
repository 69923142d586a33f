"""`open_store` and friends: a location to a store, the precedence of the places naming one,
and a URL's password kept out of what is shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from ramify.core import SQLiteStore
from ramify.core.store.choice import (
    STORE_ENV,
    StoreLocationError,
    choose_store_location,
    describe_store,
    open_store,
    password_warning,
)


async def test_a_path_and_a_sqlite_url_open_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    for location in (path, str(path), f"sqlite://{path}"):
        store = open_store(location)
        assert isinstance(store, SQLiteStore)
        async with store:
            assert store.file_path == path


def test_no_location_is_the_default_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAMIFY_HOME", str(tmp_path))
    store = open_store(None)
    assert isinstance(store, SQLiteStore)
    assert store.file_path == tmp_path / "ramify.sqlite3"


def test_the_flag_beats_the_environment_which_beats_the_config() -> None:
    env = {STORE_ENV: "env.db"}
    assert choose_store_location("flag.db", "config.db", env) == "flag.db"
    assert choose_store_location(None, "config.db", env) == "env.db"
    assert choose_store_location(None, "config.db", {}) == "config.db"
    assert choose_store_location("", "", {STORE_ENV: ""}) is None


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        (
            "postgresql://me:pw@db.example.org:5432/ramify",
            "postgresql://***@db.example.org:5432/ramify",
        ),
        (
            "postgresql://db/ramify?password=pw&sslmode=require",
            "postgresql://db/ramify?password=***&sslmode=require",
        ),
        ("sqlite:///var/lib/ramify.sqlite3", "sqlite:///var/lib/ramify.sqlite3"),
        ("/home/me/pw@home.sqlite3", "/home/me/pw@home.sqlite3"),
    ],
)
def test_a_location_is_shown_without_its_password(location: str, shown: str) -> None:
    assert describe_store(location) == shown


def test_only_a_url_with_a_password_is_warned_about() -> None:
    warning = password_warning("postgresql://me:pw@db/ramify")
    assert warning is not None
    assert "PGPASSWORD" in warning
    assert ":pw@" not in warning
    assert password_warning("postgresql://me@db/ramify") is None
    assert password_warning("/tmp/me:pw@x.sqlite3") is None
    assert password_warning(None) is None


@pytest.mark.parametrize(
    ("location", "says"),
    [
        ("mysql://me:pw@db/x", "unknown store scheme 'mysql'"),
        ("postgresql://me:pw@db:port/x", "malformed"),
        ("postgresql://", "names no server or database"),
        ("sqlite://", "names no file"),
        ("   ", "empty"),
    ],
)
def test_a_location_naming_no_store_is_refused_in_one_line(location: str, says: str) -> None:
    with pytest.raises(StoreLocationError) as caught:
        open_store(location)
    message = str(caught.value)
    assert says in message
    assert ":pw@" not in message
    assert "\n" not in message


def test_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    with pytest.raises(StoreLocationError, match="does not exist"):
        open_store(tmp_path / "no" / "s.sqlite3")
    assert not (tmp_path / "no").exists()


def test_postgresql_without_its_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ramify.core.store.choice as module

    monkeypatch.setattr(module, "find_spec", lambda name: None)
    with pytest.raises(StoreLocationError, match=r'pip install "ramify\[postgres\]"'):
        open_store("postgresql://me@db/ramify")


def test_the_config_names_a_store_and_its_repr_masks_the_password() -> None:
    from ramify.core.llm import parse_config

    config = parse_config('store = "postgresql://me:pw@db/ramify"\n')
    assert config.store == "postgresql://me:pw@db/ramify"
    assert ":pw@" not in repr(config)
    assert "postgresql://***@db/ramify" in repr(config)
