"""Find recording files under the paths a user gives, safely and in a fixed order.

Folders are walked with `os.scandir`; symlinked folders are followed once (the
(st_dev, st_ino) of every folder entered is remembered, so a symlink loop ends).
Only regular `*.json` files and vcr cassettes (`*.yaml`, `*.yml`) are picked up inside
folders: FIFOs, sockets, devices,
broken links and folders that happen to be named `x.json` are passed over without
being opened. A path named on the command line is always reported, whatever its
name, so a user can list `notes.txt` on purpose and get a row for it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

RECORDING_SUFFIXES = (".json", ".yaml", ".yml")  # llama-stack recordings, vcr cassettes


@dataclass(slots=True)
class Found:
    """One path the scan reports: a file to summarize, or a problem to show as an error row."""

    path: str  # as displayed: the root joined with the names below it
    # Of the file (symlinks followed). None when `problem` is set, or when the scan ran
    # with_stat=False (then the file was a regular file by its directory entry).
    stat: os.stat_result | None
    problem: str | None = None  # one-line reason when the path cannot be summarized at all
    explicit: bool = False  # named on the command line (not found inside a folder)
    abs_path: str = ""  # os.path.abspath(path), the cache key (set for files to summarize)
    root: str = ""  # the root (as given) it was found under; for an explicit file, the file


def is_recording_name(name: str) -> bool:
    """True for names the folder scan picks up (`*.json`, `*.yaml`, `*.yml`, any case)."""
    return name.lower().endswith(RECORDING_SUFFIXES)


def unreachable_paths(paths: Iterable[str]) -> list[tuple[str, str]]:
    """(path, one-line reason) for each path that cannot be reached (broken or looping links too)."""
    unreachable = []
    for path in paths:
        try:
            os.stat(path)
        except FileNotFoundError:
            unreachable.append((path, "no such file or folder"))
        except OSError as exc:
            unreachable.append((path, _one_line(exc)))
    return unreachable


def missing_paths(paths: Iterable[str]) -> list[str]:
    """The paths that cannot be reached (see unreachable_paths for the reasons)."""
    return [path for path, _ in unreachable_paths(paths)]


def _kind_of_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _one_line(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def iter_found(roots: Iterable[str], *, with_stat: bool = True) -> Iterator[Found]:
    """Yield every recording file under `roots`, roots in the given order, each root sorted.

    Inside a root the order is that of the path components (a folder's entries sorted by
    name, depth first), so the same tree always lists the same way. A file reached twice
    (the same root given twice, a root inside another root) is reported once.
    Hidden folders (`.git`, `.venv`, ...) below a root are not entered.
    With `with_stat=False` files found in folders carry no stat (saves a system call per
    file when nothing needs size and mtime before the file is read; the reader checks anyway).
    """
    roots = list(roots)
    seen_files: set[str] = set()
    visited_dirs: set[tuple[int, int]] = set()
    # One folder walked once cannot meet a file twice (each folder is entered once, by its
    # device and inode): the 100,000 paths of a big tree need not be kept to find repeats.
    walk_seen = seen_files if len(roots) > 1 else None
    for root in roots:
        try:
            root_stat = os.stat(root)
        except OSError as exc:
            yield Found(root, None, f"cannot read: {_one_line(exc)}", explicit=True, root=root)
            continue
        if stat.S_ISDIR(root_stat.st_mode):
            yield from _walk(root, root_stat, walk_seen, visited_dirs, with_stat)
            continue
        key = os.path.abspath(root)
        if key in seen_files:
            continue
        seen_files.add(key)
        if stat.S_ISREG(root_stat.st_mode):
            yield Found(root, root_stat, explicit=True, abs_path=key, root=root)
        else:
            # Never opened: reading a FIFO would block until a writer comes.
            kind = _kind_of_mode(root_stat.st_mode)
            yield Found(root, None, f"not a regular file ({kind})", explicit=True, root=root)


def _walk(
    root: str,
    root_stat: os.stat_result,
    seen_files: set[str] | None,
    visited_dirs: set[tuple[int, int]],
    with_stat: bool,
) -> Iterator[Found]:
    # An explicit stack of sorted entry lists: deep trees cannot hit the recursion limit.
    first = _enter_folder(root, root_stat, visited_dirs, root)
    if first is None:
        return
    if isinstance(first, Found):
        yield first
        return
    # Absolute folder paths (with their final separator) ride along so each file's absolute
    # path is a concatenation.
    # Each folder's entries are popped off the end of its list (sorted in reverse) and so freed
    # as they are handled: an entry keeps its stat result, and a folder may hold 100,000 files.
    stack: list[tuple[list[os.DirEntry[str]], str]] = [(first, _with_sep(os.path.abspath(root)))]
    while stack:
        entries_left, abs_prefix = stack[-1]
        pop = entries_left.pop
        while entries_left:  # this folder's entries, until one is a folder to go down into
            entry = pop()
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:  # e.g. ELOOP on a link to itself
                continue
            if is_dir:
                if entry.name.startswith("."):
                    continue
                try:
                    dir_stat = entry.stat()
                except OSError:
                    continue
                entries = _enter_folder(entry.path, dir_stat, visited_dirs, root)
                if isinstance(entries, Found):
                    yield entries
                elif entries is not None:
                    stack.append((entries, abs_prefix + entry.name + os.sep))
                    break  # depth first: its entries before the rest of this folder's
                continue
            name = entry.name
            if not name.lower().endswith(RECORDING_SUFFIXES):  # is_recording_name, inlined: per file
                continue
            try:
                if not entry.is_file():  # FIFO, socket, device, broken link
                    continue
                file_stat = entry.stat() if with_stat or entry.is_symlink() else None
            except OSError:
                continue
            if file_stat is not None and not stat.S_ISREG(file_stat.st_mode):
                continue
            key = abs_prefix + name
            if seen_files is not None:
                if key in seen_files:
                    continue
                seen_files.add(key)
            yield Found(entry.path, file_stat, None, False, key, root)  # (positional: per file)
        else:
            stack.pop()


def _with_sep(folder: str) -> str:
    return folder if folder.endswith(os.sep) else folder + os.sep


def _enter_folder(
    folder: str, folder_stat: os.stat_result, visited_dirs: set[tuple[int, int]], root: str
) -> list[os.DirEntry[str]] | Found | None:
    """A folder's entries (reverse sorted), or its error row; None when it was visited already
    (a symlink loop, or a folder reached twice through links or roots)."""
    folder_id = (folder_stat.st_dev, folder_stat.st_ino)
    if folder_id in visited_dirs:
        return None
    visited_dirs.add(folder_id)
    entries = _sorted_entries(folder)
    if isinstance(entries, Found):
        entries.root = root
    return entries


def _sorted_entries(folder: str) -> list[os.DirEntry[str]] | Found:
    """A folder's entries in reverse name order (the walk pops the first name off the end)."""
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError as exc:
        return Found(folder, None, f"cannot read folder: {_one_line(exc)}")
    entries.sort(key=lambda entry: entry.name, reverse=True)
    return entries


def find_recordings(roots: Iterable[str]) -> list[Found]:
    """All of `iter_found(roots)` as a list."""
    return list(iter_found(roots))
