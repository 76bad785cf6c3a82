"""Cache mode on real kernels: the ``braid-cache`` kernelspec, and ``%braid cache`` on a plain one.

Every test starts its own kernel with a private ``--cache-dir``, so stores never mix.  Whether a
cell ran is told by a side-effect counter in a helper module the kernel imports (a cached cell
must not move it), read from an uncached cell.
"""

from __future__ import annotations

import os
import pickle
import re
import stat
import zlib
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.protocol.kernel_client import STARTED_PIDS, Executed, RunningKernel, strip_ansi

pytestmark = pytest.mark.timeout(120)

HELPER = "calls = 0\n\ndef bump():\n    global calls\n    calls += 1\n    return calls\n"
SETUP = "# braid: nocache\nimport sys\nsys.path.insert(0, {path!r})\nimport sidefx\n"
COUNT = "# braid: nocache\nsidefx.calls"
OUTPUTS = (
    "sidefx.bump()\n"
    "print('computed', 6 * 7)\n"
    "display({'text/html': '<b>bold</b>', 'text/plain': 'bold'}, raw=True)\n"
    "import sys as _sys\n"
    "print('to stderr', file=_sys.stderr)\n"
    "answer = 6 * 7\n"
    "answer"
)

POINT = (
    "class Point:\n"
    "    def __init__(self, x):\n"
    "        self.x = x\n"
    "    def norm(self):\n"
    "        return self.x * 2"
)

StartKernel = Callable[..., RunningKernel]


def _cache(done: Executed) -> str | None:
    """What the reply's metadata says the cache did."""
    return done.reply["metadata"].get("braid", {}).get("cache")


def _outputs(done: Executed) -> list[tuple[str, object]]:
    """The cell's outputs as a client renders them: type and payload, in order."""
    shown: list[tuple[str, object]] = []
    for msg in done.iopub:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            shown.append((f"stream:{content['name']}", content["text"]))
        elif kind in ("display_data", "execute_result"):
            shown.append((kind, content["data"]))
    return shown


def _merged(outputs: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Consecutive stream texts of one stream joined (coalescing may split them differently)."""
    merged: list[tuple[str, object]] = []
    for kind, payload in outputs:
        if merged and kind.startswith("stream") and merged[-1][0] == kind:
            merged[-1] = (kind, str(merged[-1][1]) + str(payload))
        else:
            merged.append((kind, payload))
    return merged


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    (tmp_path / "helper").mkdir()
    (tmp_path / "helper" / "sidefx.py").write_text(HELPER)
    return tmp_path / "cache"


@pytest.fixture
def cache_kernel(start_kernel: StartKernel, cache_dir: Path) -> RunningKernel:
    """A ``braid-cache`` kernel with the helper module imported."""
    k = start_kernel(kernel_name="braid-cache", extra_arguments=["--cache-dir", str(cache_dir)])
    k.run(SETUP.format(path=str(cache_dir.parent / "helper")))
    return k


def _calls(k: RunningKernel) -> int:
    return int(k.value(COUNT))


def _store(k: RunningKernel) -> Path:
    info = k.run("%braid cache info").stdout
    match = re.search(r"^location: (.+)$", info, re.MULTILINE)
    assert match, info
    return Path(match.group(1))


def test_identical_cell_hits_without_running_and_replays_every_output(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    first = k.run(OUTPUTS)
    assert _cache(first) == "miss" and _calls(k) == 1
    k.run("answer = None")
    again = k.run(OUTPUTS)
    assert _cache(again) == "hit"
    assert _calls(k) == 1, "a hit ran the cell"
    assert _merged(_outputs(again)) == _merged(_outputs(first))
    assert [kind for kind, _ in _merged(_outputs(again))] == [
        "stream:stdout",
        "display_data",
        "stream:stderr",
        "execute_result",
    ]
    result = again.of_type("execute_result")[0]["content"]
    assert result["execution_count"] == again.content["execution_count"] != first.content["execution_count"]
    assert k.value("answer") == "42", "the hit did not bind the cell's names"


def test_comments_and_formatting_do_not_matter(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    assert _cache(k.run("total = sum([1, 2, 3])")) == "miss"
    assert _cache(k.run("# the total\ntotal   =   sum( [1,2,3] )  # again\n")) == "hit"


def test_changing_an_input_value_or_the_code_is_a_miss(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    k.run("a = 2")
    assert _cache(k.run("b = a * 10")) == "miss"
    assert _cache(k.run("b = a * 10")) == "hit"
    k.run("a = 3")
    assert _cache(k.run("b = a * 10")) == "miss"
    assert k.value("b") == "30"
    assert _cache(k.run("b = a * 11")) == "miss"
    assert k.value("b") == "33"


def test_redefining_a_function_the_cell_calls_is_a_miss(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    k.run("def f(x):\n    return x + 1")
    assert _cache(k.run("y = f(1)")) == "miss"
    assert _cache(k.run("y = f(1)")) == "hit"
    k.run("def f(x):\n    return x + 2")
    assert _cache(k.run("y = f(1)")) == "miss"
    assert k.value("y") == "3"
    # ... and so is changing a global the function reads (through a helper function).
    k.run("scale = 10\ndef helper(x):\n    return x * scale\ndef g(x):\n    return helper(x)")
    assert _cache(k.run("z = g(2)")) == "miss" and k.value("z") == "20"
    k.run("scale = 100")
    assert _cache(k.run("z = g(2)")) == "miss" and k.value("z") == "200"


def test_n_plus_one_increments_every_time(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    k.run("n = 0")
    for expected in (1, 2, 3):
        k.run("n = n + 1")
        assert k.value("n") == str(expected)
    assert _cache(k.run("n = 0")) == "hit"
    assert _cache(k.run("n = n + 1")) == "hit"
    assert k.value("n") == "1"


def test_a_mutation_through_a_function_is_restored(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    k.run("def add(v):\n    items.append(v)")
    k.run("items = []")
    assert _cache(k.run("add(sidefx.bump())")) == "miss"
    assert k.value("items") == "[1]"
    k.run("items = []")
    assert _cache(k.run("add(sidefx.bump())")) == "hit"
    assert k.value("items") == "[1]" and _calls(k) == 1


def test_a_hit_survives_a_kernel_restart(cache_kernel: RunningKernel, cache_dir: Path) -> None:
    k = cache_kernel
    k.run("def square(x):\n    return x * x")
    k.run("base = 7")
    first = k.run("print('squared');\nresult = square(base)\nresult")
    assert _cache(first) == "miss"
    k.run(POINT)
    assert _cache(k.run("pt = Point(2)")) == "miss"

    old = psutil.Process(k.pid)
    k.km.restart_kernel(now=False)
    STARTED_PIDS.add(k.pid)
    old.wait(timeout=15)
    k.reconnect()

    k.run(SETUP.format(path=str(cache_dir.parent / "helper")))
    assert _cache(k.run("def square(x):\n    return x * x")) == "hit"
    assert _cache(k.run("base = 7")) == "hit"
    again = k.run("print('squared');\nresult = square(base)\nresult")
    assert _cache(again) == "hit"
    assert _merged(_outputs(again)) == _merged(_outputs(first))
    assert k.value("result") == "49"
    assert k.value("square(3)") == "9", "a restored function must work in the new kernel"
    # The class is defined afresh (not from the cache); the cached instance must be of it.
    assert _cache(k.run("# braid: nocache\n" + POINT)) == "skip"
    assert _cache(k.run("pt = Point(2)")) == "hit"
    assert k.value("isinstance(pt, Point), pt.norm()") == "(True, 4)"


def test_a_cell_that_raised_is_not_cached(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    for _ in range(2):
        done = k.execute("sidefx.bump()\n1 / 0")
        assert done.status == "error"
    assert _calls(k) == 2


def test_unpicklable_outputs_are_reported_and_not_stored(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    for _ in range(2):
        done = k.run("import threading\nsidefx.bump()\nlock = threading.Lock()")
        assert _cache(done) == "miss"
    assert _calls(k) == 2
    info = k.run("%braid cache info").stdout
    assert "`lock` cannot be pickled" in info, info


def test_nocache_opts_a_cell_out(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    for _ in range(2):
        assert _cache(k.run("%%braid nocache\nsidefx.bump()\nopted = 1")) == "skip"
        assert _cache(k.run("# braid: nocache\nsidefx.bump()")) == "skip"
    assert _calls(k) == 4
    assert k.value("opted") == "1"


def test_eviction_keeps_the_store_within_its_size(start_kernel: StartKernel, cache_dir: Path) -> None:
    limit = 200_000
    k = start_kernel(
        kernel_name="braid-cache", extra_arguments=["--cache-dir", str(cache_dir), "--cache-size", str(limit)]
    )
    cells = [f"blob = bytes(50_000) + b'{i}'" for i in range(10)]
    for code in cells:
        assert _cache(k.run(code)) == "miss"
    store = _store(k)
    sizes = [p.stat().st_size for p in store.glob("*.entry")]
    assert 0 < sum(sizes) <= limit and len(sizes) < len(cells), sizes
    assert _cache(k.run(cells[-1])) == "hit"
    assert _cache(k.run(cells[0])) == "miss", "the least recently used entry should have been evicted"


def test_a_truncated_store_file_is_a_miss_with_a_warning(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    code = "sidefx.bump()\nprint('survived')\nkept = 5"
    k.run(code)
    store = _store(k)
    entries = sorted(store.glob("*.entry"), key=lambda p: p.stat().st_mtime)
    newest = entries[-1]
    newest.write_bytes(newest.read_bytes()[:20])
    again = k.run(code)
    assert _cache(again) == "miss" and again.stdout == "survived\n"
    assert _calls(k) == 2
    k.wait_for_log(r"cache entry .* corrupt")
    assert _cache(k.run(code)) == "hit"


def test_cache_commands_on_a_plain_kernel(start_kernel: StartKernel, cache_dir: Path) -> None:
    k = start_kernel(extra_arguments=["--cache-dir", str(cache_dir)])
    assert "braid" not in k.run("x = 1").reply["metadata"]
    assert "cache: off" in k.run("%braid cache info").stdout
    assert "cache on" in k.run("%braid cache on").stdout
    assert _cache(k.run("y = [i * i for i in range(5)]")) == "miss"
    assert _cache(k.run("y = [i * i for i in range(5)]")) == "hit"
    info = k.run("%braid cache info").stdout
    assert "cache: on" in info and "1 hits" in info and str(cache_dir) in info, info
    assert re.search(r"size: \d+ entries", info), info
    assert "removed" in k.run("%braid cache clear").stdout
    assert _cache(k.run("y = [i * i for i in range(5)]")) == "miss"
    k.run("%braid cache off")
    assert "braid" not in k.run("y = [i * i for i in range(5)]").reply["metadata"]


def test_cache_subcommand_rejects_unknown_actions(cache_kernel: RunningKernel) -> None:
    done = cache_kernel.execute("%braid cache sometimes")
    assert done.status == "error"
    assert "on, off, info or clear" in strip_ansi(done.content["evalue"])


def test_two_kernels_share_one_store(start_kernel: StartKernel, cache_dir: Path) -> None:
    args = ["--cache-dir", str(cache_dir)]
    one = start_kernel(kernel_name="braid-cache", extra_arguments=args)
    two = start_kernel(kernel_name="braid-cache", extra_arguments=args)
    code = "shared = sum(range(1000))\nprint('sum', shared)"
    assert _cache(one.run(code)) == "miss"
    _store(one)  # %braid cache info waits for pending writes
    done = two.run(code)
    assert _cache(done) == "hit" and done.stdout == "sum 499500\n"
    assert _cache(two.run("both = shared * 2")) == "miss"
    _store(two)
    assert _cache(one.run("both = shared * 2")) == "hit"


def test_cache_with_concurrent_cells(start_kernel: StartKernel, cache_dir: Path) -> None:
    k = start_kernel(kernel_name="braid-cache-concurrent", extra_arguments=["--cache-dir", str(cache_dir)])
    cells = [f"import asyncio\nawait asyncio.sleep(0.3)\nprint('cell {i}')\nv{i} = {i}" for i in range(3)]
    for _ in range(2):
        ids = [k.execute_request(code) for code in cells]
        done = [k.finish(msg_id) for msg_id in ids]
        assert [d.stdout for d in done] == [f"cell {i}\n" for i in range(3)]
    assert {_cache(d) for d in done} == {"hit"}


def test_a_cell_showing_a_widget_is_not_cached(cache_kernel: RunningKernel) -> None:
    k = cache_kernel
    code = "import ipywidgets\nslider = ipywidgets.IntSlider()\ndisplay(slider)"
    for _ in range(2):
        assert _cache(k.run(code)) == "miss"
    assert "comm_open" in k.run("%braid cache info").stdout


def test_cache_and_react_together(start_kernel: StartKernel, cache_dir: Path) -> None:
    k = start_kernel(extra_arguments=["--cache-dir", str(cache_dir)])
    k.run("%braid react on")
    k.run("%braid cache on")
    k.run("a = 2")
    k.run("print('b is', a * 10)\nb = a * 10")
    assert k.run("a = 3").reply["metadata"]["braid"]["reran"]
    again = k.run("a = 2")  # a hit; the dependent cell re-runs (a hit too) and shows its output
    assert _cache(again) == "hit"
    updates = [m["content"]["data"]["text/plain"] for m in again.of_type("update_display_data")]
    assert updates == ["b is 20\n"], again.describe()
    shown = k.run("b").of_type("display_data")  # react mode shows results as display data
    assert shown[0]["content"]["data"]["text/plain"] == "20"


# ---------------------------------------------------------------- a store others can write to


def _planted(code: str) -> bytes:
    """A cache entry as the unauthenticated format accepted it (magic, length, CRC-32) whose
    pickle runs ``code`` when loaded: what anyone able to write to the store could plant."""

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return exec, (code,)

    body = pickle.dumps(Payload())
    return b"BRAIDC1\n" + len(body).to_bytes(8, "little") + zlib.crc32(body).to_bytes(4, "little") + body


def _newest_entry(store: Path) -> Path:
    return max(store.glob("*.entry"), key=lambda p: p.stat().st_mtime)


def test_a_planted_pickle_with_a_valid_checksum_never_runs(
    cache_kernel: RunningKernel, tmp_path: Path
) -> None:
    k = cache_kernel
    code = "sidefx.bump()\nprint('ran')\nplanted = 1"
    assert _cache(k.run(code)) == "miss"
    marker = tmp_path / "planted-pickle-ran"
    _newest_entry(_store(k)).write_bytes(_planted(f"open({str(marker)!r}, 'w').write('pwned')"))
    again = k.run(code)
    assert not marker.exists(), "the kernel unpickled a planted cache entry"
    assert _cache(again) == "miss" and again.stdout == "ran\n", again.describe()
    assert _calls(k) == 2
    k.wait_for_log(r"cache entry .* not authentic")


def test_entries_written_under_another_users_secret_are_misses(
    start_kernel: StartKernel, cache_dir: Path, tmp_path: Path
) -> None:
    args = ["--cache-dir", str(cache_dir)]
    theirs = start_kernel(
        kernel_name="braid-cache",
        extra_arguments=args,
        env={**os.environ, "BRAID_CACHE_SECRET_FILE": str(tmp_path / "theirs" / "cache-secret")},
    )
    code = "shared = sum(range(1000))\nprint('sum', shared)"
    assert _cache(theirs.run(code)) == "miss"
    _store(theirs)  # waits for pending writes
    mine = start_kernel(kernel_name="braid-cache", extra_arguments=args)
    done = mine.run(code)
    assert _cache(done) == "miss" and done.stdout == "sum 499500\n"
    assert _cache(mine.run(code)) == "hit"


def test_the_cache_is_private_to_its_user(cache_kernel: RunningKernel, cache_dir: Path) -> None:
    k = cache_kernel
    k.run("private = [1, 2, 3]")
    store = _store(k)
    secret = Path(os.environ["BRAID_CACHE_SECRET_FILE"])
    for path, mode in ((cache_dir, 0o700), (store, 0o700), (_newest_entry(store), 0o600), (secret, 0o600)):
        info = path.lstat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (mode, os.geteuid()), path


def test_a_store_writable_by_others_is_refused_and_cells_simply_run(
    start_kernel: StartKernel, cache_dir: Path
) -> None:
    args = ["--cache-dir", str(cache_dir)]
    first = start_kernel(kernel_name="braid-cache", extra_arguments=args)
    code = "computed = 6 * 7\nprint('computed', computed)"
    assert _cache(first.run(code)) == "miss"
    store = _store(first)
    store.chmod(0o777)  # as a shared directory would be
    second = start_kernel(kernel_name="braid-cache", extra_arguments=args)
    done = second.run(code)
    assert done.status == "ok" and done.stdout == "computed 42\n" and _cache(done) == "miss"
    assert _cache(second.run(code)) == "miss"  # nothing is stored there either
    second.wait_for_log(r"cell cache is not used: .* writable by group or others")
    assert "not used" in second.run("%braid cache info").stdout
    assert stat.S_IMODE(store.stat().st_mode) == 0o777  # left as it is


def test_a_symlinked_store_is_not_followed(
    start_kernel: StartKernel, cache_dir: Path, tmp_path: Path
) -> None:
    probe = start_kernel(kernel_name="braid-cache", extra_arguments=["--cache-dir", str(cache_dir)])
    name = _store(probe).name  # the store this working directory gets
    elsewhere, target = tmp_path / "other-root", tmp_path / "attacker-owned"
    elsewhere.mkdir(mode=0o700)
    target.mkdir(mode=0o700)
    (elsewhere / name).symlink_to(target)
    k = start_kernel(kernel_name="braid-cache", extra_arguments=["--cache-dir", str(elsewhere)])
    done = k.run("kept = 5\nprint('ran')")
    assert done.status == "ok" and done.stdout == "ran\n"
    k.run("%braid cache info")
    assert list(target.iterdir()) == [], "the kernel wrote its cache through a symlink"
    k.wait_for_log(r"cell cache is not used: .* is a symlink")
