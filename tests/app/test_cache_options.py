"""Cache mode's command line: the ``braid-cache`` kernelspec, ``--cache-dir`` and ``--cache-size``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from braid_kernel.app.cli import main, parse_start_args
from braid_kernel.app.config import DEFAULT_CACHE_SIZE, KernelConfig, parse_size
from braid_kernel.engine.modes import Mode
from braid_kernel.errors import ConfigError

BASE_ARGV = [sys.executable, "-Xfrozen_modules=off", "-m", "braid_kernel", "start", "-f", "{connection_file}"]


def _spec(prefix: Path, name: str) -> dict[str, object]:
    path = prefix / "share" / "jupyter" / "kernels" / name / "kernel.json"
    spec: dict[str, object] = json.loads(path.read_text())
    return spec


def test_install_cache_writes_braid_cache(tmp_path: Path) -> None:
    assert main(["install", "cache", "--prefix", str(tmp_path)]) == 0
    spec = _spec(tmp_path, "braid-cache")
    assert spec["argv"] == [*BASE_ARGV, "--modes", "cache"]
    assert spec["display_name"] == "Python 3 (braid: cache)"


def test_cache_combines_with_other_modes_and_keeps_its_options(tmp_path: Path) -> None:
    args = ["install", "concurrent-cache", "--cache-dir", "/data/cache", "--cache-size", "5GB"]
    assert main([*args, "--prefix", str(tmp_path)]) == 0
    spec = _spec(tmp_path, "braid-cache-concurrent")
    assert spec["argv"] == [
        *BASE_ARGV,
        *["--modes", "cache-concurrent", "--cache-dir", "/data/cache", "--cache-size", "5000000000"],
    ]
    argv = spec["argv"]
    assert isinstance(argv, list)
    config, _ = parse_start_args(argv[4:])
    assert config.modes == Mode.CACHE | Mode.CONCURRENT
    assert config.cache_dir == Path("/data/cache") and config.cache_size == 5_000_000_000


def test_start_defaults() -> None:
    config, _ = parse_start_args(["-f", "conn.json"])
    assert config.cache_dir is None and config.cache_size == DEFAULT_CACHE_SIZE


def test_a_bad_cache_size_exits_2_saying_what_to_write(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["start", "-f", "conn.json", "--cache-size", "lots"]) == 2
    assert "500MB" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        ("500MB", 500_000_000),
        ("2G", 2_000_000_000),
        ("1.5GiB", 1_610_612_736),
        ("10 kb", 10_000),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "-1MB", "5XB", "many"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_size(text)


def test_a_non_positive_cache_size_is_refused() -> None:
    with pytest.raises(ConfigError, match="cache size"):
        KernelConfig(cache_size=0)
