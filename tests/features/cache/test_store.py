"""The on-disk cache store: round trip, corruption, eviction, concurrent use, stale temporary files."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from braid_kernel.features.cache.engine.location import cache_root, store_directory
from braid_kernel.features.cache.engine.store import CacheStore

KEY_A = "a" * 40
KEY_B = "b" * 40

MakeStore = Callable[..., CacheStore]


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[MakeStore]:
    """Stores in ``tmp_path`` (or a given directory); their writer threads stop afterwards."""
    made: list[CacheStore] = []

    def make(limit: int = 10**6, directory: Path | None = None) -> CacheStore:
        secret = tmp_path / "secret" / "cache-secret"
        made.append(CacheStore(tmp_path if directory is None else directory, limit, secret))
        return made[-1]

    yield make
    for store in made:
        store.close()


def test_round_trip(tmp_path: Path, make_store: MakeStore) -> None:
    store = make_store(directory=tmp_path / "store")
    assert store.get(KEY_A) is None
    store.put(KEY_A, b"payload")
    assert store.get(KEY_A) == b"payload"  # at once, written or not
    store.flush()
    assert store.get(KEY_A) == b"payload"  # from disk
    assert store.stats().entries == 1
    assert (tmp_path / "CACHEDIR.TAG").exists()


def test_a_failed_write_is_logged_and_remembered(tmp_path: Path, make_store: MakeStore) -> None:
    (tmp_path / "blocked").write_text("a file where the store directory should be")
    store = make_store(directory=tmp_path / "blocked" / "store")
    store.put(KEY_A, b"payload")
    store.flush()
    assert store.write_error is not None
    assert store.get(KEY_A) is None


def test_keys_must_look_like_keys(make_store: MakeStore) -> None:
    with pytest.raises(ValueError, match="not a cache key"):
        make_store().get("../../etc/passwd")


@pytest.mark.parametrize("damage", ["truncate", "flip", "magic", "empty"])
def test_a_damaged_entry_is_a_miss_logged_and_removed(
    tmp_path: Path, make_store: MakeStore, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_store()
    store.put(KEY_A, b"x" * 1000)
    store.flush()
    path = next(tmp_path.glob("*.entry"))
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[-1] ^= 0xFF
    elif damage == "magic":
        data[:4] = b"JUNK"
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="braid_kernel.cache"):
        assert store.get(KEY_A) is None
    assert "corrupt" in caplog.text
    assert not path.exists()
    store.put(KEY_A, b"again")
    store.flush()
    assert store.get(KEY_A) == b"again"


def test_eviction_removes_the_least_recently_used_first(tmp_path: Path, make_store: MakeStore) -> None:
    store = make_store(3500)
    keys = [f"{i:040x}" for i in range(3)]
    for age, key in enumerate(keys):
        store.put(key, bytes(1000))
        store.flush()
        past = time.time() - 100 + age
        os.utime(tmp_path / f"{key}.entry", (past, past))
    assert store.get(keys[0]) is not None  # used now: the most recent
    store.put("f" * 40, bytes(1000))
    store.flush()
    assert store.get(keys[1]) is None, "the least recently used entry should be gone"
    assert store.get(keys[0]) is not None and store.get(keys[2]) is not None
    assert store.stats().size <= 3500


def test_the_store_never_exceeds_its_limit(make_store: MakeStore) -> None:
    store = make_store(10_000)
    for i in range(200):
        store.put(f"{i:040x}", bytes(700 + i))
        assert store.stats().size <= 10_000


def test_an_entry_larger_than_the_limit_is_refused(make_store: MakeStore) -> None:
    store = make_store(1000)
    with pytest.raises(ValueError, match="more than the cache limit"):
        store.put(KEY_A, bytes(2000))
    assert store.stats().entries == 0


def test_a_write_killed_midway_leaves_no_entry_and_its_temporary_file_is_cleaned(
    tmp_path: Path, make_store: MakeStore
) -> None:
    store = make_store()
    store.put(KEY_A, b"complete")
    store.flush()
    # What a kill -9 during put() leaves: a temporary file, never a partial entry.
    temp = tmp_path / f".{KEY_B}.12345.abcd.tmp"
    temp.write_bytes(b"half of an ent")
    assert store.get(KEY_B) is None
    old = time.time() - 7200
    os.utime(temp, (old, old))
    assert store.stats().entries == 1
    assert not temp.exists()
    assert store.get(KEY_A) == b"complete"


def test_two_stores_on_one_directory_see_each_others_entries(make_store: MakeStore) -> None:
    one, two = make_store(10**7), make_store(10**7)
    errors: list[BaseException] = []

    def write(store: CacheStore, base: int) -> None:
        try:
            for i in range(100):
                store.put(f"{base + i:040x}", bytes(1000) + str(i).encode())
                store.put(KEY_A, b"shared" * 100)  # both write the same key over and over
                assert store.get(KEY_A) == b"shared" * 100
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, b)) for s, b in ((one, 0), (two, 1000))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    one.flush()
    two.flush()
    assert two.get(f"{5:040x}") is not None and one.get(f"{1005:040x}") is not None


def test_clear_removes_every_entry(make_store: MakeStore) -> None:
    store = make_store()
    store.put(KEY_A, b"1")
    store.put(KEY_B, b"2")
    assert store.clear() == 2
    assert store.get(KEY_A) is None and store.stats().entries == 0


def test_the_root_comes_from_the_option_then_the_environment_then_the_user_cache(tmp_path: Path) -> None:
    assert cache_root(tmp_path / "opt", {"BRAID_CACHE_DIR": "/elsewhere"}) == tmp_path / "opt"
    assert cache_root(None, {"BRAID_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert cache_root(None, {}).name == "braid-kernel"


def test_each_notebook_gets_its_own_store(tmp_path: Path) -> None:
    one = store_directory(tmp_path, {"JPY_SESSION_NAME": "work/analysis.ipynb"}, Path("/home/u"))
    two = store_directory(tmp_path, {"JPY_SESSION_NAME": "work/other.ipynb"}, Path("/home/u"))
    by_dir = store_directory(tmp_path, {}, Path("/home/u/project"))
    assert one.parent == tmp_path and one.name.startswith("analysis-")
    assert len({one, two, by_dir}) == 3
    assert by_dir.name.startswith("dir-project-")
    assert store_directory(tmp_path, {}, Path("/home/u/project")) == by_dir


def test_a_store_directory_removed_by_hand_is_made_again(tmp_path: Path, make_store: MakeStore) -> None:
    store = make_store(directory=tmp_path / "store")
    store.put(KEY_A, b"one")
    store.flush()
    shutil.rmtree(tmp_path / "store")
    store.put(KEY_B, b"two")
    store.flush()
    assert store.write_error is None
    assert (tmp_path / "store" / f"{KEY_B}.entry").exists()


_WRITER = """
import sys
from pathlib import Path
from braid_kernel.features.cache.engine.store import CacheStore
store = CacheStore(Path(sys.argv[1]), 10**10, Path(sys.argv[1]) / "secret" / "cache-secret")
i = 0
while True:
    store.write_now(f"{i % 50:040x}", bytes([i % 251]) * 2_000_000)
    i += 1
    if i == 3:
        print("writing", flush=True)
"""


def test_kill_9_while_writing_leaves_only_whole_entries(tmp_path: Path, make_store: MakeStore) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
        time.sleep(0.5)
    finally:
        proc.kill()  # SIGKILL, in the middle of some write
        proc.wait(timeout=10)
    store = make_store(10**10)
    keys = [path.stem for path in tmp_path.glob("*.entry")]
    assert keys
    for key in keys:
        payload = store.get(key)
        assert payload is not None and len(payload) == 2_000_000
        assert bytes(payload) == bytes([payload[0]]) * 2_000_000


# ---------------------------------------------------------------- authentication and privacy


def _crc_entry(payload: bytes) -> bytes:
    """An entry as the unauthenticated format stored it: magic, length, CRC-32, payload."""
    return (
        b"BRAIDC1\n"
        + len(payload).to_bytes(8, "little")
        + zlib.crc32(payload).to_bytes(4, "little")
        + payload
    )


def test_a_planted_entry_with_a_valid_checksum_is_a_miss(
    tmp_path: Path, make_store: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_store()
    planted = tmp_path / f"{KEY_A}.entry"
    planted.write_bytes(_crc_entry(b"a pickle that runs code"))
    with caplog.at_level(logging.WARNING, logger="braid_kernel.cache"):
        assert store.get(KEY_A) is None
    assert "not authentic" in caplog.text
    assert not planted.exists()


def test_an_entry_written_under_another_secret_is_a_miss(tmp_path: Path, make_store: MakeStore) -> None:
    mine = make_store(directory=tmp_path / "store")
    theirs = CacheStore(tmp_path / "store", 10**6, tmp_path / "their-secret" / "cache-secret")
    theirs.write_now(KEY_A, b"their payload")
    assert theirs.get(KEY_A) == b"their payload"
    assert mine.get(KEY_A) is None


def test_an_entry_moved_to_another_key_is_a_miss(tmp_path: Path, make_store: MakeStore) -> None:
    store = make_store()
    store.write_now(KEY_A, b"payload of a")
    os.replace(tmp_path / f"{KEY_A}.entry", tmp_path / f"{KEY_B}.entry")
    assert store.get(KEY_B) is None


def test_directories_files_and_the_secret_are_private(tmp_path: Path) -> None:
    root, secret = tmp_path / "root", tmp_path / "data" / "braid" / "cache-secret"
    store = CacheStore(root / "store", 10**6, secret)
    store.write_now(KEY_A, b"payload")
    store.close()
    for path, mode in ((root, 0o700), (root / "store", 0o700), (secret.parent, 0o700), (secret, 0o600)):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    assert stat.S_IMODE((root / "store" / f"{KEY_A}.entry").stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "CACHEDIR.TAG").stat().st_mode) == 0o600


def test_an_own_store_readable_by_others_is_closed_to_them(tmp_path: Path, make_store: MakeStore) -> None:
    (tmp_path / "store").mkdir(mode=0o755)
    (tmp_path / "store").chmod(0o755)
    make_store(directory=tmp_path / "store").write_now(KEY_A, b"payload")
    assert stat.S_IMODE((tmp_path / "store").stat().st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o770, 0o757, 0o777])
def test_a_store_writable_by_group_or_others_is_refused(
    tmp_path: Path, make_store: MakeStore, mode: int, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "store"
    directory.mkdir()
    directory.chmod(mode)
    (directory / f"{KEY_A}.entry").write_bytes(_crc_entry(b"planted"))
    store = make_store(directory=directory)
    with caplog.at_level(logging.WARNING, logger="braid_kernel.cache"):
        assert store.get(KEY_A) is None
        assert store.get(KEY_A) is None
    assert caplog.text.count("not used") == 1, caplog.text  # one clear warning, not one per cell
    assert "writable by group or others" in caplog.text and "trusted like a Python environment" in caplog.text
    assert store.refused is not None
    with pytest.raises(ValueError, match="not used"):
        store.put(KEY_B, b"payload")
    assert store.stats().entries == 0 and store.clear() == 0
    assert sorted(p.name for p in directory.iterdir()) == [f"{KEY_A}.entry"]  # nothing touched


def test_a_symlinked_store_is_refused_and_not_followed(tmp_path: Path, make_store: MakeStore) -> None:
    target = tmp_path / "attacker"
    target.mkdir(mode=0o700)
    (tmp_path / "store").symlink_to(target)
    store = make_store(directory=tmp_path / "store")
    assert store.get(KEY_A) is None
    assert store.refused is not None and "symlink" in store.refused
    assert list(target.iterdir()) == []


def test_an_entry_that_is_a_symlink_is_not_followed(tmp_path: Path, make_store: MakeStore) -> None:
    store = make_store(directory=tmp_path / "store")
    store.write_now(KEY_B, b"real")
    outside = tmp_path / "outside.entry"
    os.replace(tmp_path / "store" / f"{KEY_B}.entry", outside)  # a valid entry, elsewhere
    (tmp_path / "store" / f"{KEY_A}.entry").symlink_to(outside)
    assert store.get(KEY_A) is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another user")
def test_a_store_owned_by_another_user_is_refused(tmp_path: Path, make_store: MakeStore) -> None:
    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    os.chown(directory, 65534, 65534)
    store = make_store(directory=directory)
    assert store.get(KEY_A) is None
    assert store.refused is not None and "another user (uid 65534)" in store.refused


@pytest.mark.parametrize("damage", ["readable", "symlink", "garbage"])
def test_a_secret_that_is_not_private_refuses_the_cache(tmp_path: Path, damage: str) -> None:
    secret = tmp_path / "data" / "cache-secret"
    secret.parent.mkdir()
    if damage == "readable":
        secret.write_text("ab" * 32)
        secret.chmod(0o644)
    elif damage == "symlink":
        (tmp_path / "elsewhere").write_text("ab" * 32)
        secret.symlink_to(tmp_path / "elsewhere")
    else:
        secret.write_text("not hex")
        secret.chmod(0o600)
    store = CacheStore(tmp_path / "store", 10**6, secret)
    assert store.get(KEY_A) is None
    assert store.refused is not None and str(secret) in store.refused
    store.close()


def test_two_stores_made_at_once_agree_on_one_secret(tmp_path: Path) -> None:
    secret = tmp_path / "data" / "cache-secret"
    stores = [CacheStore(tmp_path / "store", 10**6, secret) for _ in range(4)]
    threads = [threading.Thread(target=s.write_now, args=(f"{i:040x}", b"v")) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(4):
        assert all(s.get(f"{i:040x}") == b"v" for s in stores)
