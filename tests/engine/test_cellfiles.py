"""Cell file names: MurmurHash2 as JupyterLab's debugger computes it, and linecache entries."""

from __future__ import annotations

import gc
import linecache
import os
import random
import stat
import struct
import tempfile
from pathlib import Path

import pytest

from braid_kernel.engine.cellfiles import HASH_SEED, CellFiles, UnsafeCellDirectory, choose_cell_dir, murmur2

# Computed with Austin Appleby's reference C implementation (MurmurHash2.cpp, public domain),
# compiled with gcc on x86-64: (input, seed, hash).
REFERENCE = [
    (b"", 0, 0),
    (b"", 1, 1540447798),
    (b"", 0xFFFFFFFF, 3008980656),
    (b"a", 0, 2456313694),
    (b"ab", 0x9747B28C, 316155434),
    (b"abc", 1, 1621425345),
    (b"abcd", 0, 646393889),
    (b"abcde", 0xB2A1D5EE, 2135454647),
    (b"Hello, world!", 0x9747B28C, 3199900434),
    (b"The quick brown fox jumps over the lazy dog", 0, 556214736),
    (b"The quick brown fox jumps over the lazy dog", 0xB2A1D5EE, 893006809),
    (b"print('hello')\n", 0xB2A1D5EE, 3546499855),
    (b"x = 1\ny = 2\nx + y", 0xFFFFFFFF, 3105271820),
    ("héllo wörld ✓".encode(), 0xB2A1D5EE, 2810607790),
]


def reference_murmur2(key: bytes, seed: int) -> int:
    """A test-only transliteration of the C reference (switch fall-through and all)."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(key)
    h = (seed ^ length) & mask
    blocks = length // 4
    for (block,) in struct.iter_unpack("<I", key[: blocks * 4]):
        k = (block * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    rest = key[blocks * 4 :]
    if len(rest) == 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if len(rest) >= 1:
        h ^= rest[0]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h


@pytest.mark.parametrize(("data", "seed", "expected"), REFERENCE)
def test_murmur2_matches_the_c_reference(data: bytes, seed: int, expected: int) -> None:
    assert murmur2(data, seed) == expected


@pytest.mark.parametrize(("data", "seed", "expected"), REFERENCE)
def test_test_reference_matches_the_c_reference(data: bytes, seed: int, expected: int) -> None:
    assert reference_murmur2(data, seed) == expected


def test_murmur2_matches_the_reference_on_every_tail_length_and_random_input() -> None:
    rng = random.Random(20261122)
    for length in [*range(0, 40), 255, 256, 1023, 4097]:
        data = rng.randbytes(length)
        seed = rng.getrandbits(32)
        assert murmur2(data, seed) == reference_murmur2(data, seed), (length, seed)


def test_cell_file_name_is_prefix_hash_of_utf8_code_and_suffix(tmp_path: Path) -> None:
    files = CellFiles(directory=tmp_path)
    code = "print('héllo')\n"
    expected_hash = reference_murmur2(code.encode("utf-8"), HASH_SEED)
    assert files.filename(code) == f"{tmp_path}/{expected_hash}.py"
    assert files.prefix == f"{tmp_path}/"


def test_same_code_gets_the_same_name_and_other_code_another(tmp_path: Path) -> None:
    files = CellFiles(directory=tmp_path)
    assert files.filename("a = 1") == files.filename("a = 1")
    assert files.filename("a = 1") != files.filename("a = 2")


def test_is_cell_recognises_only_names_it_produces(tmp_path: Path) -> None:
    files = CellFiles(directory=tmp_path)
    assert files.is_cell(files.filename("x"))
    assert not files.is_cell("/usr/lib/python3.11/asyncio/tasks.py")
    assert not files.is_cell(f"{tmp_path}/notes.txt")


def test_registered_cell_source_is_in_linecache(tmp_path: Path) -> None:
    files = CellFiles(directory=tmp_path)
    name = files.register("a = 1\nb = 2")
    assert linecache.getline(name, 2) == "b = 2\n"
    linecache.checkcache(name)  # does not drop the entry: there is no file to compare with
    assert linecache.getline(name, 1) == "a = 1\n"
    assert not Path(name).exists()


def test_dumped_cell_is_a_real_file_with_the_code(tmp_path: Path) -> None:
    files = CellFiles(directory=tmp_path / "cells")
    name = files.dump("x = 40 + 2\n")
    assert Path(name).read_text(encoding="utf-8") == "x = 40 + 2\n"
    assert files.is_cell(name)


def test_the_cell_directory_is_braid_pid_made_private_at_once(tmp_path: Path) -> None:
    directory = choose_cell_dir(tmp_path, 4242)
    assert directory == tmp_path / "braid_4242"  # as ipykernel's ipykernel_<pid>
    info = directory.lstat()
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
    assert info.st_uid == os.geteuid()
    assert choose_cell_dir(tmp_path, 4242) == directory  # a second kernel of the same process


def test_the_default_cell_directory_is_named_after_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # what gettempdir() returns
    assert CellFiles().directory == tmp_path / f"braid_{os.getpid()}"
    assert CellFiles().prefix == f"{tmp_path}/braid_{os.getpid()}/"


def test_the_directory_is_removed_when_the_kernel_ends_unless_cells_were_dumped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    unused = CellFiles()
    directory = unused.directory
    assert directory.is_dir()
    del unused
    gc.collect()
    assert not directory.exists()  # a kernel that never dumped a cell leaves nothing behind
    used = CellFiles()
    name = Path(used.dump("a = 1\n"))
    del used
    gc.collect()
    assert name.read_text() == "a = 1\n"  # dumped cells stay, as ipykernel's do


def _planted_elsewhere(tmp_path: Path) -> Path:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    return elsewhere


@pytest.mark.parametrize("planted", ["open directory", "symlink", "dangling symlink", "file"])
def test_a_name_taken_by_something_else_gives_a_fresh_private_name(tmp_path: Path, planted: str) -> None:
    usual = tmp_path / "braid_4242"
    if planted == "open directory":
        usual.mkdir()
        usual.chmod(0o777)
    elif planted == "symlink":
        usual.symlink_to(_planted_elsewhere(tmp_path))
    elif planted == "dangling symlink":
        usual.symlink_to(tmp_path / "nothing")
    else:
        usual.write_text("")
    directory = choose_cell_dir(tmp_path, 4242)
    assert directory.parent == tmp_path and directory.name.startswith("braid_4242_")
    assert len(directory.name) > len("braid_4242_") + 8  # unguessable
    assert choose_cell_dir(tmp_path, 4242) != directory
    name = Path(CellFiles(directory=directory).dump("a = 1\n"))
    assert name.parent == directory and stat.S_IMODE(directory.lstat().st_mode) == 0o700
    assert not (tmp_path / "nothing").exists()
    if planted == "symlink":
        assert list((tmp_path / "elsewhere").iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another user")
def test_a_private_directory_of_another_user_gives_a_fresh_name(tmp_path: Path) -> None:
    usual = tmp_path / "braid_4242"
    usual.mkdir(mode=0o700)
    os.chown(usual, 65534, 65534)
    directory = choose_cell_dir(tmp_path, 4242)
    assert directory != usual and directory.name.startswith("braid_4242_")


def test_dump_creates_a_private_directory_and_private_files(tmp_path: Path) -> None:
    files = CellFiles(directory=tmp_path / "cells")
    name = Path(files.dump("a = 1\n"))
    assert stat.S_IMODE(name.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(name.stat().st_mode) == 0o600
    assert [p.name for p in name.parent.iterdir()] == [name.name]  # no temporary file left


@pytest.mark.parametrize("mode", [0o777, 0o750, 0o705])
def test_an_existing_directory_open_to_others_is_refused(tmp_path: Path, mode: int) -> None:
    directory = tmp_path / "cells"
    directory.mkdir()
    directory.chmod(mode)
    with pytest.raises(UnsafeCellDirectory, match="not private"):
        CellFiles(directory=directory).dump("a = 1\n")
    assert list(directory.iterdir()) == []


def test_a_symlinked_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / "cells").symlink_to(target)
    with pytest.raises(UnsafeCellDirectory, match="symlink"):
        CellFiles(directory=tmp_path / "cells").dump("a = 1\n")
    assert list(target.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another user")
def test_a_directory_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "cells"
    directory.mkdir(mode=0o700)
    os.chown(directory, 65534, 65534)
    with pytest.raises(UnsafeCellDirectory, match="owner uid 65534"):
        CellFiles(directory=directory).dump("a = 1\n")


def test_a_symlink_at_the_cells_name_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    files = CellFiles(directory=tmp_path / "cells")
    code = "b = 2\n"
    (tmp_path / "cells").mkdir(mode=0o700)
    Path(files.filename(code)).symlink_to(victim)
    name = Path(files.dump(code))
    assert victim.read_text() == "precious"
    assert not name.is_symlink() and name.read_text() == code
