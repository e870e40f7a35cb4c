"""A corpus of hostile input files, one of each kind that a reader must refuse or survive.

:func:`hostile_files` writes them into a folder and returns their paths by id, so that the
same corpus can be given to every reader and every command. Documents are JSON or TOML
named by their suffix; the CSV ones end in ``.csv``; the rest are given a ``.json`` name, so
that a document reader gets as far as looking at the file itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
"""What must never reach a terminal: C0 controls but the line feed (tabs and carriage returns
included), DEL, C1 controls, the line and paragraph separators, and the bidirectional and
zero-width format characters."""


def assert_safe(*outputs: str) -> None:
    """No control or format character but the line feed is in any of ``outputs``."""
    for output in outputs:
        found = UNSAFE.search(output)
        assert found is None, f"{found[0]!r} at {found.start()} of {output[:200]!r}"


DEPTH = 100_000
"""How deep the deep documents nest."""
DIGITS = 5_000
"""How many digits the huge integers have."""
FIELD = 2_000_000
"""How many characters the huge CSV field has."""
ID_LENGTH = 1_000_000
"""How many characters the overlong id has."""


def _agreement(agreement_id: str, rest: str) -> str:
    """One agreement of an agreements file, as JSON text; ``rest`` holds its last members."""
    return (
        f'{{"id": "{agreement_id}", "account_id": "acc-1", "destinations": ["us"], '
        f'"valid_from": "2024-01-01T00:00:00Z", {rest}}}'
    )


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _link(path: Path, target: str) -> Path:
    path.symlink_to(target)
    return path


def _garbage(size: int) -> bytes:
    """Deterministic bytes that look random: a SHA-256 chain."""
    blocks = [hashlib.sha256(b"residency")]
    while len(blocks) * 32 < size:
        blocks.append(hashlib.sha256(blocks[-1].digest()))
    return b"".join(block.digest() for block in blocks)[:size]


def hostile_files(folder: Path) -> dict[str, Path]:
    """Write the corpus into ``folder`` (which must exist); return the paths by id.

    ``missing`` is a path that does not exist; ``fifo`` a FIFO that no one writes to;
    ``dev-zero`` a symbolic link to ``/dev/zero``.
    """
    huge = "9" * DIGITS
    control = json.dumps("\x1b[2J\x9b", ensure_ascii=False)  # \u001b escaped, \x9b as is
    return {
        "fifo": _fifo(folder / "fifo.json"),
        "dev-zero": _link(folder / "dev-zero.json", "/dev/zero"),
        "directory": _directory(folder / "directory.json"),
        "missing": folder / "missing.json",
        "deep-json": _write(
            folder / "deep.json", b'{"regions": ' + b"[" * DEPTH + b"]" * DEPTH + b"}\n"
        ),
        "deep-toml": _write(folder / "deep.toml", b"regions = " + b"[" * DEPTH + b"]" * DEPTH),
        "huge-int-json": _write(folder / "huge-int.json", f'{{"version": {huge}}}\n'.encode()),
        "huge-int-toml": _write(folder / "huge-int.toml", f"version = {huge}\n".encode()),
        "duplicate-key-json": _write(
            folder / "duplicate-key.json",
            (
                '{"agreements": ['
                + _agreement("agr-1", '\n"revoked_at": "2024-06-01T00:00:00Z",\n"revoked_at": null')
                + "]}\n"
            ).encode(),
        ),
        "non-utf8": _write(
            folder / "non-utf8.json", b'{\n  "id": "eu",\n  "name": "Union europ\xe9enne"\n}\n'
        ),
        "bom": _write(folder / "bom.json", b'\xef\xbb\xbf{"agreements": []}\n'),
        "control-characters-in-values": _write(
            folder / "control-characters.json",
            (
                '{"agreements": ['
                + _agreement("agr-1", f'"reference": {control}')
                + f'], "name": {control}}}\n'
            ).encode(),
        ),
        "one-megabyte-id": _write(
            folder / "one-megabyte-id.json",
            (
                '{"agreements": [' + _agreement("x" * ID_LENGTH, '"basis": "other"') + "]}\n"
            ).encode(),
        ),
        "huge-field-csv": _write(
            folder / "huge-field.csv",
            b'account_id,country\nacc-1,"' + b"x" * FIELD + b'"\nacc-2,DE\n',
        ),
        "binary-garbage": _write(folder / "binary-garbage.json", _garbage(64 * 1024)),
    }
