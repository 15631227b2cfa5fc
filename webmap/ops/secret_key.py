"""The key that signs sessions and links: generated once per install, never published in the source."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "secret_key"


def load_or_create(instance_folder: str | Path) -> str:
    """Return the key kept in the instance folder, making a random one on first use."""
    path = Path(instance_folder) / KEY_FILE
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 32:
            return key
        raise RuntimeError(
            f"{path} holds a key shorter than 32 characters: delete it to make a new one, or set WEBMAP_SECRET_KEY."
        )
    key = secrets.token_hex(32)
    # Write a private temporary file, then link it into place: when several workers start at once,
    # exactly one link succeeds and every worker reads that one complete key.
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text(encoding="utf-8").strip()
