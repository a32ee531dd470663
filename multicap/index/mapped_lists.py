"""The inverted lists of a large IVF index in a file of their own, mapped read-only.

A large IVF file (`multicap.index.vectors`) may keep its inverted lists (the codes and ids, nearly all its
bytes) in a second file beside it, `<space>.<sha256 prefix>.ivfdata`, mapped read-only (faiss's
`OnDiskInvertedLists`): a process holds only the pages its searches touch (`MappedLists`). The index file
names the list file without a folder (it is found beside it, wherever the folder moves), its SHA-256 is
recorded and checked as the index file's is, and it is never written in place: a name, once written,
always holds the same bytes; rows added later are kept in memory beside the mapped lists until the next
save writes a new list file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

__all__ = ["LISTS_SUFFIX", "MappedLists", "map_lists", "stream_sha256", "write_lists"]

LISTS_SUFFIX = ".ivfdata"  # the file of an index's inverted lists, beside it: `<space>.<sha256[:16]>.ivfdata`


class MappedLists:
    """The inverted lists of an IVF index in their own file, mapped read-only (an `OnDiskInvertedLists`
    that this object owns), with the rows added since in memory beside them (an `ArrayInvertedLists`,
    searched together through an `HStackInvertedLists`) until `settle` writes them into a new file."""

    def __init__(self, ivf: Any, lists: Any, path: Path, sha256: str) -> None:
        self.ivf, self.lists, self.path, self.sha256 = ivf, lists, path, sha256
        self.bytes = int(lists.totsize)
        self._added: Any = None  # rows added since the file was written
        self._stack: Any = None  # the file's lists and the added ones, as one

    @classmethod
    def attach(cls, ivf: Any, path: Path, sha256: str, sizes: np.ndarray) -> MappedLists:
        """Map the list file `path` (written by `write_lists`, lists of `sizes`) into the IVF index `ivf`."""
        return cls(ivf, _open_lists(ivf, path, sizes), path, sha256)

    @classmethod
    def adopt(cls, ivf: Any, path: Path, checksum: str | None) -> MappedLists | None:
        """The lists of an index file read with `IO_FLAG_SKIP_IVF_DATA`, mapped from `path` (the file the
        index names, looked for beside it); None when that is not the file it names, or its bytes are not
        `checksum`'s."""
        named = faiss.downcast_InvertedLists(ivf.invlists)  # (its layout only: nothing mapped)
        if not isinstance(named, faiss.OnDiskInvertedLists) or Path(named.filename).name != path.name:
            return None
        sizes = np.array([named.list_size(j) for j in range(ivf.nlist)], np.uint64)
        with path.open("rb") as f:  # a list file is never rewritten: the bytes hashed are the bytes mapped
            size, digest = os.fstat(f.fileno()).st_size, stream_sha256(f) if checksum is not None else None
        if size != named.totsize or size != int(sizes.sum()) * (ivf.code_size + 8) or digest != checksum:
            return None  # (a shorter file, mapped, would fault on the first read past its end)
        return cls.attach(ivf, path, checksum or "", sizes)

    def add(self, index: Any, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add rows to `index` (the `IndexIDMap2` around this IVF): encoded into the in-memory lists, with
        the internal ids following the mapped ones, and searched together with them from now on."""
        if self._added is None:
            self._added = faiss.ArrayInvertedLists(self.ivf.nlist, self.ivf.code_size)
        self.ivf.replace_invlists(self._added, False)
        try:
            index.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids.astype(np.int64))
        finally:
            both = faiss.InvertedListsPtrVector()  # type: ignore[attr-defined]
            both.push_back(self.lists)
            both.push_back(self._added)
            self._stack = faiss.HStackInvertedLists(2, both.data())
            self.ivf.replace_invlists(self._stack, False)

    def settle(self, beside: Path) -> None:
        """Before the index is saved as `beside`: write the lists into a new file next to it when rows
        were added since, or when the mapped file lives in another folder, and map that instead."""
        if self._added is None and self.path.parent == beside.parent:
            return
        parts = [(self.lists, 0)] + ([(self._added, 0)] if self._added is not None else [])
        path, sha256, sizes = write_lists(parts, beside)
        self.lists, self.path, self.sha256 = _open_lists(self.ivf, path, sizes), path, sha256
        self.bytes = int(self.lists.totsize)
        self._added = self._stack = None

    def write_header(self, index: Any, path: Path) -> None:
        """`faiss.write_index` of `index` naming the list file without its folder (found beside it)."""
        self.lists.filename = self.path.name
        try:
            with path.open("wb") as out:  # through a Python file: faiss's own open takes the path as UTF-8
                writer = faiss.PyCallbackIOWriter(out.write)  # type: ignore[attr-defined]
                faiss.write_index(index, writer)
                del writer
        finally:
            self.lists.filename = str(self.path)


def write_lists(parts: Sequence[tuple[Any, int]], beside: Path) -> tuple[Path, str, np.ndarray]:
    """Write the inverted lists of `parts` (`InvertedLists`, amount added to its ids), concatenated list by
    list in order, as one list file next to the index file `beside`, in `OnDiskInvertedLists`'s layout
    (each list's codes, then its ids); one part's lists are read at a time, through its own pointers (a
    mapped part stays on disk). Written beside its name, flushed and renamed, as index files are.

    Returns:
        (the file, its SHA-256, each list's size (nlist,) uint64).
    """
    nlist, code_size = parts[0][0].nlist, parts[0][0].code_size
    sizes = np.zeros(nlist, np.uint64)
    for lists, _ in parts:
        sizes += np.array([lists.list_size(j) for j in range(nlist)], np.uint64)
    tmp = beside.with_name(beside.stem + LISTS_SUFFIX + ".tmp")
    h = hashlib.sha256()
    with tmp.open("wb") as f:
        for j in range(nlist):
            pieces = [_list_bytes(lists, j, code_size, shift) for lists, shift in parts]
            for data in [codes for codes, _ in pieces] + [ids for _, ids in pieces]:
                f.write(data)
                h.update(data)
        f.flush()
        os.fsync(f.fileno())
    digest = h.hexdigest()
    path = beside.with_name(f"{beside.stem}.{digest[:16]}{LISTS_SUFFIX}")
    os.replace(tmp, path)
    return path, digest, sizes


def stream_sha256(f: Any) -> str:
    """The SHA-256 of what is left to read in the open binary file `f`."""
    h = hashlib.sha256()
    while chunk := f.read(1 << 20):
        h.update(chunk)
    return h.hexdigest()


def map_lists(path: Path, nlist: int, code_size: int, sizes: np.ndarray) -> Any:
    """The list file `path` (`write_lists`'s, lists of `sizes`) mapped read-only, owned by the caller.
    No prefetch threads: a search reads the lists it probes once; faiss's (32 threads a search) would read
    them all a second time."""
    lists = faiss.OnDiskInvertedLists(nlist, code_size, str(path))
    lists.set_all_lists_sizes(faiss.swig_ptr(np.ascontiguousarray(sizes, np.uint64)))
    lists.totsize = path.stat().st_size
    lists.read_only, lists.prefetch_nthread = True, 0
    lists.do_mmap()
    return lists


def _open_lists(ivf: Any, path: Path, sizes: np.ndarray) -> Any:
    """`map_lists`, as the lists of `ivf` (which frees the ones it owned). Lists are only ever made here
    and owned by Python: a list object taken over from an index (`downcast_InvertedLists`, then owned)
    broke SWIG's type table when freed after its index (faiss 1.15)."""
    lists = map_lists(path, ivf.nlist, ivf.code_size, sizes)
    ivf.replace_invlists(lists, False)
    return lists


def _list_bytes(lists: Any, j: int, code_size: int, shift: int) -> tuple[bytes, bytes]:
    """(codes, ids + shift) of list `j` of `lists`, copied out (a stack of lists copies them for the
    caller: released here)."""
    n = lists.list_size(j)
    if n == 0:
        return b"", b""
    codes, ids = lists.get_codes(j), lists.get_ids(j)
    try:
        return faiss.rev_swig_ptr(codes, n * code_size).tobytes(), (
            faiss.rev_swig_ptr(ids, n) + shift
        ).tobytes()
    finally:
        lists.release_codes(j, codes)
        lists.release_ids(j, ids)
