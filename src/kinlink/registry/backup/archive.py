"""The encrypted backup archive: one authenticated stream of named entries, written and read in chunks.

File layout (``FORMAT_VERSION`` 1)::

    header   MAGIC (16 bytes) | salt (16) | nonce prefix (7)
    chunks   length (4 bytes, big-endian; top bit set on the last chunk) | AES-256-GCM ciphertext

The key is HKDF-SHA256 of the operator's secret (``KINLINK_FIELD_KEY`` or the backup key file) with the
header's salt. Each chunk (at most ``CHUNK`` bytes of plaintext) is sealed with the nonce prefix, its
counter and the last-chunk flag, and the header as associated data: a chunk altered, dropped, moved or
cut off, or a header changed, fails authentication (the STREAM construction). Nothing is ever held
whole in memory.

Inside, the plaintext is a sequence of entries: ``b"E"``, a 4-byte length and a JSON object naming the
entry, then its data as blocks (4-byte length, bytes) ended by an empty block; ``b"Z"`` ends the archive.
The manifest is the last entry, so the checksums it carries cover everything written before it.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = 1
MAGIC = b"KINLINK-BACKUP\x00\x01"
SALT_BYTES = 16
PREFIX_BYTES = 7
HEADER_BYTES = len(MAGIC) + SALT_BYTES + PREFIX_BYTES
CHUNK = 1024 * 1024
_LAST = 0x8000_0000
_MAX_SEALED = CHUNK + 16


class ArchiveError(Exception):
    """The archive cannot be read: wrong key, altered, truncated or not a kinlink backup."""


def derive_key(secret: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"kinlink backup v1").derive(secret)


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


class EncryptedWriter:
    """A write-only stream that seals what is written, chunk by chunk, into ``out``."""

    def __init__(self, out: IO[bytes], secret: bytes) -> None:
        salt, prefix = os.urandom(SALT_BYTES), os.urandom(PREFIX_BYTES)
        self._header = MAGIC + salt + prefix
        self._aead = AESGCM(derive_key(secret, salt))
        self._prefix = prefix
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        out.write(self._header)

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep one chunk back: the last one is sealed as the last
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]

    def _seal(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, last), plain, self._header)
        self._out.write(struct.pack(">I", len(sealed) | (_LAST if last else 0)) + sealed)
        self._counter += 1

    def close(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()


def decrypted_chunks(source: IO[bytes], secrets: Iterable[bytes]) -> Iterator[bytes]:
    """The plaintext of an archive, chunk by chunk; each chunk is authenticated before it is yielded.

    The first secret that opens the first chunk is the archive's; none opening it is a wrong key."""
    header = source.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
        raise ArchiveError("this is not a kinlink backup (or not of a format this version reads)")
    salt = header[len(MAGIC) : len(MAGIC) + SALT_BYTES]
    prefix = header[len(MAGIC) + SALT_BYTES :]
    candidates = [AESGCM(derive_key(secret, salt)) for secret in secrets]
    counter = 0
    aead: AESGCM | None = None
    while True:
        size_bytes = source.read(4)
        if len(size_bytes) < 4:
            raise ArchiveError("the backup is cut short: its last part is missing")
        (size,) = struct.unpack(">I", size_bytes)
        last = bool(size & _LAST)
        size &= ~_LAST
        if size > _MAX_SEALED:
            raise ArchiveError(f"the backup is damaged or altered (chunk {counter})")
        sealed = source.read(size)
        if len(sealed) < size:
            raise ArchiveError("the backup is cut short: its last part is missing")
        nonce = _nonce(prefix, counter, last)
        if aead is None:
            for candidate in candidates:
                try:
                    plain = candidate.decrypt(nonce, sealed, header)
                except InvalidTag:
                    continue
                aead = candidate
                break
            else:
                raise ArchiveError(
                    "the key does not open this backup: KINLINK_FIELD_KEY (or KINLINK_BACKUP_KEY_FILE) is "
                    "not the one it was made with, or the file was altered"
                )
        else:
            try:
                plain = aead.decrypt(nonce, sealed, header)
            except InvalidTag:
                raise ArchiveError(f"the backup is damaged or altered (chunk {counter})") from None
        yield plain
        counter += 1
        if last:
            if source.read(1):
                raise ArchiveError("the backup is damaged or altered: data follows its last part")
            return


class _PlainReader:
    """``read(n)`` over the decrypted chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def exact(self, n: int) -> bytes:
        data = self.read(n)
        if len(data) < n:
            raise ArchiveError("the backup's contents end early: it was not written to its end")
        return data


class ArchiveWriter:
    """Named entries into an :class:`EncryptedWriter`; records each entry's size and SHA-256."""

    def __init__(self, out: IO[bytes], secret: bytes) -> None:
        self._stream = EncryptedWriter(out, secret)
        self.written: dict[str, dict[str, Any]] = {}

    def add(self, meta: dict[str, Any], blocks: Iterable[bytes]) -> dict[str, Any]:
        name = str(meta["name"])
        if name in self.written:
            raise ValueError(f"entry {name} written twice")
        encoded = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode()
        self._stream.write(b"E" + struct.pack(">I", len(encoded)) + encoded)
        digest, size = hashlib.sha256(), 0
        for block in blocks:
            if not block:
                continue
            digest.update(block)
            size += len(block)
            self._stream.write(struct.pack(">I", len(block)) + block)
        self._stream.write(struct.pack(">I", 0))
        self.written[name] = {"sha256": digest.hexdigest(), "size": size}
        return self.written[name]

    def close(self) -> None:
        self._stream.write(b"Z")
        self._stream.close()


@dataclass
class Entry:
    """One entry as it is read: its metadata, and its data blocks (to be consumed before the next entry)."""

    meta: dict[str, Any]
    blocks: Iterator[bytes]
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0


def read_entries(source: IO[bytes], secrets: Iterable[bytes]) -> Iterator[Entry]:
    """The archive's entries in order; an entry's blocks must be read (or are skipped) before the next."""
    reader = _PlainReader(decrypted_chunks(source, secrets))
    while True:
        tag = reader.exact(1)
        if tag == b"Z":
            if reader.read(1):
                raise ArchiveError("the backup's contents go on after their end")
            return
        if tag != b"E":
            raise ArchiveError("the backup's contents are not in the expected layout")
        (length,) = struct.unpack(">I", reader.exact(4))
        try:
            meta = json.loads(reader.exact(length))
        except ValueError as exc:
            raise ArchiveError("an entry of the backup has an unreadable name") from exc
        entry = Entry(meta=meta, blocks=iter(()))

        def blocks(entry: Entry = entry) -> Iterator[bytes]:
            while True:
                (size,) = struct.unpack(">I", reader.exact(4))
                if size == 0:
                    return
                block = reader.exact(size)
                entry.digest.update(block)
                entry.size += size
                yield block

        entry.blocks = blocks()
        yield entry
        for _block in entry.blocks:  # what the reader did not consume
            pass


def file_blocks(handle: IO[bytes], size: int = 256 * 1024) -> Iterator[bytes]:
    while block := handle.read(size):
        yield block
