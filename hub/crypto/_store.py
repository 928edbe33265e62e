"""The keys directory: where key documents live on disk, and how they are written.

Layout, under ``Settings.keys_dir`` (default ``var/demo/keys``, never in the repository)::

    <keys_dir>/public/<agency>.jwks.json     public document, mode 0644, safe to publish
    <keys_dir>/private/<agency>.jwks.json    private document, mode 0600, in a 0700 directory

Rules:

1. A private document is created with mode 0600 from the first byte (``os.open`` with the mode,
   then ``os.replace``), never written world-readable and narrowed afterwards.
2. Reading a private document that group or others may read is refused, as ssh does.
3. A document's ``agency`` must match its file name.
4. Every write replaces a whole file atomically (temporary file, fsync, rename). The public
   document is always derived from the private one and written second; a crash between the two
   leaves it one step behind, and the next save repairs it.
5. Unreadable or invalid files raise :class:`hub.ConfigurationError` naming the file, never its
   contents.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final, TypeVar

from pydantic import ValidationError

from hub._exceptions import ConfigurationError
from hub.crypto._keys import KeyDocument, PrivateKeyDocument

__all__ = ["KeyStore"]

SUFFIX: Final = ".jwks.json"
_Doc = TypeVar("_Doc", KeyDocument, PrivateKeyDocument)


class KeyStore:
    """The public and private key documents under one keys directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.public_dir = self.root / "public"
        self.private_dir = self.root / "private"

    def public_path(self, agency: str) -> Path:
        return self.public_dir / f"{agency}{SUFFIX}"

    def private_path(self, agency: str) -> Path:
        return self.private_dir / f"{agency}{SUFFIX}"

    def has_private(self, agency: str) -> bool:
        return self.private_path(agency).exists()

    def public_documents(self) -> tuple[KeyDocument, ...]:
        """Every public document, sorted by agency."""
        if not self.public_dir.is_dir():
            return ()
        paths = sorted(self.public_dir.glob(f"*{SUFFIX}"))
        return tuple(_read(path, KeyDocument) for path in paths)

    def read_private(self, agency: str) -> PrivateKeyDocument:
        """One agency's private document; refused if others may read the file."""
        path = self.private_path(agency)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise ConfigurationError(f"cannot read key file {path}: {exc.strerror}") from exc
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(f"key file {path} is readable by others; chmod 600 it")
        return _read(path, PrivateKeyDocument)

    def save(self, document: PrivateKeyDocument) -> None:
        """Write the private document (0600) and its public half (0644)."""
        self.private_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.public_dir.mkdir(parents=True, exist_ok=True, mode=0o755)
        _write(self.private_path(document.agency), document.to_json(), 0o600)
        _write(self.public_path(document.agency), document.public().to_json(), 0o644)


def _read(path: Path, model: type[_Doc]) -> _Doc:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read key file {path}: {exc.strerror}") from exc
    try:
        document = model.model_validate_json(text)
    except ValidationError as exc:
        problems = sorted(
            f"{'.'.join(str(part) for part in error['loc']) or 'document'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        # ``from None``: str(ValidationError) quotes input values, and this input holds keys
        raise ConfigurationError(f"key file {path} is invalid: {'; '.join(problems)}") from None
    if path.name != f"{document.agency}{SUFFIX}":
        raise ConfigurationError(f"key file {path} holds agency {document.agency!r}")
    return document


def _write(path: Path, text: str, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # the umask may have narrowed a public file
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
