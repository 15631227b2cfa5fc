"""Compressed files (.gz, .bz2, .xz, .zip) read with a limit on how big they unpack, before anything parses them.

A 2 MB .csv.gz can unpack to 2 GB or more (a "zip bomb"). Here every compressed file is unpacked
in 1 MB pieces, streamed to a temporary file, and refused with a plain reason the moment it
passes MAX_UNPACKED_MB, or unpacks to more than MAX_UNPACK_RATIO times its packed size (real
registers and surveys pack 3 to 5 times; a bomb packs a thousand times). Memory never holds more
than one piece, so the check process cannot grow until it crashes.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Protocol

from flask import current_app, has_app_context

from webmap.importers.problems import ImportFailed, Problem, _


class Readable(Protocol):
    """What a decompressor gives: read(n) and close()."""

    def read(self, size: int = ..., /) -> bytes: ...

    def close(self) -> None: ...


OPENERS: dict[str, Callable[[Path], Readable]] = {
    ".gz": lambda p: gzip.open(p, "rb"),
    ".bz2": lambda p: bz2.open(p, "rb"),
    ".xz": lambda p: lzma.open(p, "rb"),
}
DEFAULT_MAX_UNPACKED_MB = 2000
DEFAULT_MAX_RATIO = 100
# Below this much unpacked, the ratio is not checked: a small, very regular file may pack tightly.
RATIO_FLOOR_BYTES = 1_000_000
MAX_ZIP_MEMBERS = 1000
CHUNK = 1 << 20
_BROKEN = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, ValueError)


def is_compressed(path: str | Path) -> bool:
    """Say whether the file is one this module unpacks (.gz, .bz2, .xz or .zip)."""
    return Path(path).suffix.lower() in (*OPENERS, ".zip")


def limits() -> tuple[int, int]:
    """Return (most bytes a file may unpack to, most times its packed size), from settings when there are some."""
    config = current_app.config if has_app_context() else {}
    megabytes = int(config.get("MAX_UNPACKED_MB") or DEFAULT_MAX_UNPACKED_MB)
    return megabytes * 1_000_000, int(config.get("MAX_UNPACK_RATIO") or DEFAULT_MAX_RATIO)


class _Budget:
    """Counts unpacked bytes for one file and refuses, naming it, as soon as a limit is passed."""

    def __init__(self, name: str, packed: int) -> None:
        self.name, self.packed, self.unpacked = name, max(packed, 1), 0
        self.max_bytes, self.max_ratio = limits()

    def take(self, size: int) -> None:
        self.unpacked += size
        if self.unpacked > self.max_bytes:
            raise ImportFailed(
                Problem(
                    self.name,
                    None,
                    None,
                    _(
                        "unpacks to more than %(limit)s MB (the WEBMAP_MAX_UNPACKED_MB setting), so it was "
                        "refused before being read; unpack it yourself and import the parts, or raise the setting",
                        limit=f"{self.max_bytes / 1e6:,.0f}",
                    ),
                )
            )
        if self.unpacked > RATIO_FLOOR_BYTES and self.unpacked > self.max_ratio * self.packed:
            raise ImportFailed(
                Problem(
                    self.name,
                    None,
                    None,
                    _(
                        "unpacks to more than %(ratio)s times its packed size (%(packed)s bytes packed, over "
                        "%(unpacked)s unpacked so far; real data packs about 3 to 10 times), so it was refused as a "
                        "likely 'zip bomb' before being read (the WEBMAP_MAX_UNPACK_RATIO setting)",
                        ratio=self.max_ratio,
                        packed=f"{self.packed:,}",
                        unpacked=f"{self.unpacked:,}",
                    ),
                )
            )


class LimitedReader(io.RawIOBase):
    """A readable stream over a decompressor that stops, with ImportFailed, when its budget runs out."""

    def __init__(self, source: Readable, budget: _Budget) -> None:
        self.source, self.budget = source, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.source.read(min(len(buffer), CHUNK))
        except _BROKEN as exc:
            raise ImportFailed(Problem(self.budget.name, None, None, _damaged(self.budget.name, exc))) from None
        self.budget.take(len(data))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.source.close()
        super().close()


def _damaged(name: str, exc: BaseException) -> str:
    kind = Path(name).suffix.lower().lstrip(".") or "compressed"
    return _(
        "cannot be unpacked: it is not a whole .%(kind)s file (damaged, cut short, or not really .%(kind)s)", kind=kind
    )


def open_limited(path: Path, name: str | None = None) -> LimitedReader:
    """Open a .gz, .bz2 or .xz file for reading its unpacked bytes, within the limits."""
    name = name or path.name
    try:
        source = OPENERS[path.suffix.lower()](path)
    except _BROKEN as exc:
        raise ImportFailed(Problem(name, None, None, _damaged(name, exc))) from None
    return LimitedReader(source, _Budget(name, path.stat().st_size))


def _copy(source: io.RawIOBase, target: Path) -> None:
    with open(target, "wb") as out:
        shutil.copyfileobj(io.BufferedReader(source, CHUNK), out, CHUNK)


@contextmanager
def unpacked(path: str | Path, name: str | None = None) -> Iterator[Path]:
    """Yield a plain copy of a compressed file (a folder for a .zip), made within the limits; other files as they are.

    The copy keeps the name without the compression suffix ("places.csv.gz" -> "places.csv") and
    is deleted afterwards. Problems name the file as `name` (by default the file's own name).
    """
    p = Path(path)
    name = name or p.name
    suffix = p.suffix.lower()
    if suffix not in OPENERS and suffix != ".zip":
        yield p
        return
    with tempfile.TemporaryDirectory(prefix="webmap-unpack-") as folder:
        if suffix == ".zip":
            yield _unzip(p, Path(folder), name)
        else:
            target = Path(folder) / (p.stem or "unpacked")
            with open_limited(p, name) as source:
                _copy(source, target)
            yield target


def _unzip(path: Path, folder: Path, name: str) -> Path:
    """Unpack a zip into `folder` within the limits (declared sizes are checked first, real ones as they come)."""
    budget = _Budget(name, path.stat().st_size)
    try:
        archive = zipfile.ZipFile(path)
    except _BROKEN as exc:
        raise ImportFailed(Problem(name, None, None, _damaged(name, exc))) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ImportFailed(
                Problem(
                    name,
                    None,
                    None,
                    _(
                        "holds %(count)s files; at most %(limit)s are read from one zip",
                        count=f"{len(members):,}",
                        limit=f"{MAX_ZIP_MEMBERS:,}",
                    ),
                )
            )
        declared = _Budget(name, path.stat().st_size)
        declared.take(sum(m.file_size for m in members))  # a bomb that says what it is, refused before unpacking
        for member in members:
            parts = PurePosixPath(member.filename).parts
            if not parts or member.filename.startswith("/") or ".." in parts:
                raise ImportFailed(
                    Problem(
                        name,
                        None,
                        None,
                        _(
                            "holds a file named '%(name)s', which points outside the zip; it was not unpacked",
                            name=member.filename[:80],
                        ),
                    )
                )
            if parts[-1].lower().endswith(".zip"):
                raise ImportFailed(
                    Problem(
                        name,
                        None,
                        None,
                        _("holds another zip (%(name)s); unpack that one and import it by itself", name=parts[-1][:80]),
                    )
                )
            target = folder.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                # zipfile stops each member at its declared size and checks its CRC; the budget counts the truth.
                with archive.open(member) as source:
                    _copy(LimitedReader(source, budget), target)
            except _BROKEN as exc:
                raise ImportFailed(Problem(name, None, None, _damaged(name, exc))) from None
    return folder
