"""Streaming, entity-free XML reading for list files.

List files are large (OFAC's SDN XML is ~30 MB) and come from outside, so they are read
record by record (memory stays flat) with expat directly: a document type declaration or
an entity declaration is refused outright, which rules out external entities and
entity-expansion bombs without trusting parser defaults. Element names lose their
namespace (OFAC has moved namespaces twice); the root's namespace is kept for reports.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from pyexpat import ExpatError, ParserCreate
from xml.parsers import expat

from smartcustoms.screening.errors import ScreeningListInvalid
from smartcustoms.screening.models import ListEntry, Rejection

_CHUNK = 1 << 20


@dataclass(slots=True)
class XmlRecord:
    element: ET.Element
    line: int


@dataclass(slots=True)
class XmlHeader:
    """What the file says about itself: root element, its namespace and attributes, and
    the text of leaf elements outside records (``Publish_Date``, ``Record_Count``)."""

    root: str = ""
    namespace: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


class _Stop(Exception):
    pass


class _Refused(Exception):
    def __init__(self, field: str, value: str) -> None:
        super().__init__(field)
        self.field = field
        self.value = value


def _local(name: str) -> tuple[str, str]:
    namespace, _, local = name.rpartition("}")
    return local, namespace


def read_root(path: Path) -> XmlHeader:
    """The root element of ``path`` without reading the rest (for format detection)."""
    header = XmlHeader()
    for _ in iter_records(path, frozenset(), header, stop_after_root=True):
        pass
    return header


def iter_records(path: Path, record_tags: frozenset[str], header: XmlHeader,
                 *, stop_after_root: bool = False) -> Iterator[XmlRecord]:
    """Yield each element named in ``record_tags`` (local name) with its start line,
    filling ``header`` as the document is read. Raises ``ScreeningListInvalid`` naming
    the line on malformed XML or a DTD."""
    parser = ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    done: list[XmlRecord] = []
    stack: list[ET.Element] = []
    record_depth = -1
    record_line = 0
    outside: list[str] = []
    text: list[str] = []
    root_seen = False

    def refuse_doctype(name: str, *_: object) -> None:
        raise _Refused("DOCTYPE", name)

    def refuse_entity(name: str, *_: object) -> None:
        raise _Refused("ENTITY", name)

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal record_depth, record_line, root_seen
        local, namespace = _local(name)
        if not root_seen:
            root_seen = True
            header.root, header.namespace = local, namespace
            header.attributes = {_local(k)[0]: v for k, v in attributes.items()}
            if stop_after_root:
                raise _Stop
            outside.append(local)
            return
        text.clear()
        if record_depth < 0:
            if local not in record_tags:
                outside.append(local)
                return
            record_depth = len(stack)
            record_line = parser.CurrentLineNumber
        element = ET.Element(local, {_local(k)[0]: v for k, v in attributes.items()})
        if stack:
            stack[-1].append(element)
        stack.append(element)

    def end(name: str) -> None:
        nonlocal record_depth
        if record_depth < 0:
            if outside:
                local = outside.pop()
                value = "".join(text).strip()
                if value and local not in header.values:
                    header.values[local] = value
            text.clear()
            return
        element = stack.pop()
        if len(element) == 0:
            element.text = "".join(text)
        text.clear()
        if len(stack) == record_depth:
            done.append(XmlRecord(element, record_line))
            record_depth = -1

    def characters(data: str) -> None:
        text.append(data)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters

    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ScreeningListInvalid(path, "(file)", "path", str(path),
                                   f"a readable file ({exc.strerror})") from exc
    with handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                parser.Parse(chunk, not chunk)
            except _Stop:
                return
            except _Refused as exc:
                raise ScreeningListInvalid(
                    path, f"line {parser.CurrentLineNumber}", exc.field, exc.value,
                    "absent (document type and entity declarations are refused, so no "
                    "external entity is ever resolved)") from None
            except ExpatError as exc:
                raise ScreeningListInvalid(
                    path, f"line {exc.lineno}, column {exc.offset}", "document",
                    str(exc).split(":")[0],
                    "well-formed XML") from exc
            yield from done
            done.clear()
            if not chunk:
                break


def read_entries(path: Path, record_tags: frozenset[str], *, root: str, root_name: str,
                 key_field: str, to_entry: Callable[[ET.Element, str, list[Rejection]],
                                                    ListEntry | None]
                 ) -> tuple[XmlHeader, list[ListEntry], list[Rejection], int]:
    """Every record of a list's XML as an entry: (header, entries, rejections, records).

    A record ``to_entry`` cannot use is rejected by it; a second record with an id seen
    before is rejected here (``key_field`` names the id in the file). A file whose root
    is not ``root`` is refused."""
    header = XmlHeader()
    entries: list[ListEntry] = []
    rejections: list[Rejection] = []
    seen: set[str] = set()
    records = 0
    for record in iter_records(path, record_tags, header):
        if header.root != root:
            break
        records += 1
        where = f"line {record.line}"
        entry = to_entry(record.element, where, rejections)
        if entry is None:
            continue
        if entry.entry_id in seen:
            rejections.append(Rejection(path.name, where, key_field, entry.entry_id,
                                        "must be unique"))
            continue
        seen.add(entry.entry_id)
        entries.append(entry)
    if header.root != root:
        raise ScreeningListInvalid(path, "line 1", "root element", header.root,
                                   f"{root} ({root_name})")
    return header, entries, rejections, records
