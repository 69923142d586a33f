"""Typed messages through the stores and session files, with their class known or not."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import json
import sys
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest
from pydantic import Field

import ramify.core.frozen as frozen_module
from ramify.core import MemoryStore, Message, Session, SQLiteStore, Store
from ramify.core.sessionfile import export_markdown, import_markdown


class Carrier(enum.Enum):
    POST = "post"
    COURIER = "courier"


class Parcel(Message):
    weight: Decimal
    size: tuple[int, int, int]


class Shipment(Message):
    shipped: dt.datetime
    arrives: dt.date
    cutoff: dt.time
    transit: dt.timedelta
    tracking: uuid.UUID
    carrier: Carrier
    manifest: Path
    label: bytes
    zones: frozenset[str]
    parcels: tuple[Parcel, ...] = ()
    customs: dict[str, Decimal] = {}
    returned: dt.datetime | None = None
    note: str = Field(default="", exclude=True)


def _shipment(**changes: Any) -> Shipment:
    fields: dict[str, Any] = {
        "shipped": dt.datetime(2025, 6, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        "arrives": dt.date(2025, 6, 3),
        "cutoff": dt.time(17, 30),
        "transit": dt.timedelta(days=2, hours=3),
        "tracking": uuid.UUID("6f1c2a9e-0b1d-4c3e-8f00-123456789abc"),
        "carrier": Carrier.COURIER,
        "manifest": Path("manifests/june.csv"),
        "label": b"\x89PNG\r\n",
        "zones": frozenset({"EU", "JP"}),
        "parcels": [Parcel(weight=Decimal("1.250"), size=(10, 20, 5))],
        "customs": {"JP": Decimal("12.00")},
        "note": "kept in storage, not in the hash",
    }
    fields.update(changes)
    return Shipment(**fields)


def _assert_typed_shipment(message: Message, original: Shipment) -> None:
    assert type(message) is Shipment
    assert message.hash_key == original.hash_key
    assert message.hashed_fields() == original.hashed_fields()
    types = {name: type(value) for name, value in message.hashed_fields().items()}
    assert types == {name: type(value) for name, value in original.hashed_fields().items()}
    assert message.carrier is Carrier.COURIER  # type: ignore[attr-defined]
    assert message.note == original.note  # type: ignore[attr-defined]


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    backend: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "t.db")
    async with backend:
        yield backend


async def test_a_typed_message_reads_back_from_each_store_as_its_class(store: Store) -> None:
    shipment = _shipment()
    session = await Session.create(store)
    node = await session.append(shipment)
    _assert_typed_shipment(await store.get_message(node.message), shipment)


async def test_a_typed_message_reads_back_from_a_reopened_sqlite_file(tmp_path: Path) -> None:
    shipment = _shipment()
    async with SQLiteStore(tmp_path / "s.db") as store:
        node = await (await Session.create(store)).append(shipment)
    async with SQLiteStore(tmp_path / "s.db") as reopened:
        _assert_typed_shipment(await reopened.get_message(node.message), shipment)


async def test_a_typed_message_survives_export_and_import(tmp_path: Path) -> None:
    shipment = _shipment()
    async with SQLiteStore(tmp_path / "a.db") as store, SQLiteStore(tmp_path / "b.db") as other:
        session = await Session.create(store)
        node = await session.append(shipment)
        imported = await import_markdown(other, await export_markdown(session, "tree"))
        _assert_typed_shipment(await other.get_message(node.message), shipment)
        assert [n.hash_key for n in await imported.path("main")] == [node.hash_key]


def _forget_classes(monkeypatch: pytest.MonkeyPatch, *tags: str) -> None:
    """Make this process read data as if the modules defining `tags` were never imported."""
    for tag in tags:
        monkeypatch.delitem(frozen_module._REGISTRY, tag)


def _assert_generic_copy(message: Message, original: Shipment) -> None:
    assert type(message) is Message
    assert message.hash_key == original.hash_key
    data = message.to_data()
    assert data["$type"] == "Shipment"
    assert data == json.loads(json.dumps(original.to_data()))
    fields = message.hashed_fields()
    assert fields["shipped"] == original.shipped
    assert type(fields["shipped"]) is dt.datetime
    assert type(fields["transit"]) is dt.timedelta
    assert type(fields["tracking"]) is uuid.UUID
    assert fields["customs"]["JP"] == Decimal("12.00")
    assert fields["zones"] == frozenset({"EU", "JP"})
    assert fields["label"] == original.label
    assert fields["carrier"] == "courier"  # the Enum's class is unknown: its value stays
    assert type(fields["parcels"][0]) is frozen_module.Frozen
    assert fields["parcels"][0].hash_key == original.parcels[0].hash_key
    assert str(message).startswith('Shipment {"shipped": "2025-06-01T14:00:00.000000+09:00"')


async def test_a_message_of_an_unknown_class_reads_back_generic_and_keeps_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipment = _shipment()
    async with SQLiteStore(tmp_path / "s.db") as store:
        session = await Session.create(store)
        node = await session.append(shipment)
        text = await export_markdown(session, "tree")
    _forget_classes(monkeypatch, "Shipment", "Parcel")
    async with SQLiteStore(tmp_path / "s.db") as reopened:
        generic = await reopened.get_message(node.message)
    _assert_generic_copy(generic, shipment)

    # Written back to a store and exported again, it is still the same message.
    async with SQLiteStore(tmp_path / "again.db") as again:
        copy = await (await Session.create(again)).append(generic)
        assert copy.message == shipment.hash_key
    async with SQLiteStore(tmp_path / "again.db") as again:
        _assert_generic_copy(await again.get_message(shipment.hash_key), shipment)
    async with SQLiteStore(tmp_path / "imported.db") as imported_store:
        imported = await import_markdown(imported_store, text)
        assert [n.hash_key for n in await imported.path("main")] == [node.hash_key]
        _assert_generic_copy(await imported_store.get_message(node.message), shipment)
        re_exported = await export_markdown(imported, "tree")
    assert re_exported == text


_WRITER = """
import asyncio, datetime as dt, sys
from decimal import Decimal
from pathlib import Path
from pydantic import Field
from ramify.core import Message, Session, SQLiteStore
from ramify.core.sessionfile import export_markdown


class Invoice(Message):
    issued: dt.datetime
    total: Decimal
    attachment: bytes
    items: frozenset[str]
    draft: str = Field(default="", exclude=True)


async def main() -> None:
    invoice = Invoice(
        issued=dt.datetime(2025, 1, 31, 23, 59, tzinfo=dt.timezone.utc),
        total=Decimal("100.10"),
        attachment=b"%PDF",
        items=frozenset({"a", "b"}),
        draft="not hashed",
    )
    async with SQLiteStore(sys.argv[1]) as store:
        session = await Session.create(store)
        await session.append(invoice)
        Path(sys.argv[2]).write_text(await export_markdown(session, "tree"), encoding="utf-8")
    print(invoice.hash_key)


asyncio.run(main())
"""


@pytest.mark.slow
async def test_a_message_written_by_another_program_reads_back_generic(tmp_path: Path) -> None:
    database, exported = tmp_path / "other.db", tmp_path / "other.md"
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _WRITER, str(database), str(exported), stdout=PIPE, stderr=PIPE
    )
    async with asyncio.timeout(60):
        out, err = await writer.communicate()
    assert writer.returncode == 0, err.decode()
    written = out.decode().strip()
    assert "Invoice" not in frozen_module._REGISTRY
    async with SQLiteStore(database) as store:
        (message,) = (await store.get_messages([written])).values()
    assert type(message) is Message
    assert message.hash_key == written
    fields = message.hashed_fields()
    assert fields["issued"] == dt.datetime(2025, 1, 31, 23, 59, tzinfo=dt.UTC)
    assert fields["total"] == Decimal("100.10")
    assert fields["attachment"] == b"%PDF"
    assert "draft" not in fields
    assert message.to_data()["draft"] == "not hashed"
    async with SQLiteStore(tmp_path / "imported.db") as other:
        await import_markdown(other, exported.read_text(encoding="utf-8"))
        assert (await other.get_message(written)).hash_key == written


class Reading(Message):
    """A message class that redeclares a field of Message with another type."""

    role: int = 7  # type: ignore[assignment]
    taken: dt.datetime


async def test_an_unknown_class_that_redeclares_role_still_reads_back_with_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reading = Reading(taken=dt.datetime(2025, 2, 3, 4, 5, 6))
    async with SQLiteStore(tmp_path / "r.db") as store:
        await (await Session.create(store)).append(reading)
    _forget_classes(monkeypatch, "Reading")
    async with SQLiteStore(tmp_path / "r.db") as reopened:
        generic = await reopened.get_message(reading.hash_key)
    assert type(generic) is Message
    assert generic.hash_key == reading.hash_key
    assert generic.role is None  # what Ramify's own code reads as a role: a str or None
    assert generic.to_data() == json.loads(json.dumps(reading.to_data()))
    assert str(generic) == 'Reading {"taken": "2025-02-03T04:05:06.000000"}'
    async with SQLiteStore(tmp_path / "copy.db") as copy_store:
        session = await Session.create(copy_store)
        await session.append(generic)
        again = await import_markdown(copy_store, await export_markdown(session, "tree"))
        (node,) = await again.path("main")
        assert node.message == reading.hash_key
