"""``braid-kernel install --remote eg|gp``: what the servers read in the kernelspec."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from braid_kernel.app.cli import main

CONTRACT = [
    "--kernel-id", "{kernel_id}",
    "--response-address", "{response_address}",
    "--public-key", "{public_key}",
    "--port-range", "{port_range}",
]  # fmt: skip
LAUNCH = [sys.executable, "-Xfrozen_modules=off", "-m", "braid_kernel", "launch"]


def installed(prefix: Path, name: str) -> dict[str, object]:
    spec: dict[str, object] = json.loads(
        (prefix / "share/jupyter/kernels" / name / "kernel.json").read_text()
    )
    return spec


def test_a_gateway_provisioners_spec(tmp_path: Path) -> None:
    assert main(["install", "--remote", "gp", "--prefix", str(tmp_path)]) == 0
    spec = installed(tmp_path, "braid-gp")
    assert spec["argv"] == [*LAUNCH, *CONTRACT, "--transport-encryption", "{transport_encryption}"]
    assert spec["interrupt_mode"] == "message"
    assert spec["metadata"] == {
        "debugger": True,
        "supported_encryption": ["curve"],
        "kernel_provisioner": {"provisioner_name": "distributed-provisioner", "config": {}},
    }
    assert spec["display_name"] == "Python 3 (braid) via gateway_provisioners"


def test_an_enterprise_gateway_spec_with_kernel_options(tmp_path: Path) -> None:
    argv = ["install", "concurrent", "--backend", "trio", "--remote", "eg", "--prefix", str(tmp_path)]
    assert main(argv) == 0
    spec = installed(tmp_path, "braid-concurrent-trio-eg")
    assert spec["argv"] == [*LAUNCH, *CONTRACT, "--modes", "concurrent", "--backend", "trio"]
    assert spec["interrupt_mode"] == "message"
    metadata = spec["metadata"]
    assert isinstance(metadata, dict)
    assert metadata["process_proxy"] == {
        "class_name": "enterprise_gateway.services.processproxies.distributed.DistributedProcessProxy"
    }
    assert "supported_encryption" not in metadata  # EG 3 cannot pass the policy


def test_remote_specs_are_listed_and_removed_like_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install", "react", "--remote", "gp", "--name", "mine", "--prefix", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["list", "--prefix", str(tmp_path)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("mine ") and "modes=react" in line and "gateway" in line
    assert main(["uninstall", "mine", "--prefix", str(tmp_path)]) == 0
    assert not (tmp_path / "share/jupyter/kernels/mine").exists()


def test_launch_refuses_a_connection_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["launch", "-f", "kernel.json", "--kernel-id", "k"]) == 2
    assert "writes no connection file" in capsys.readouterr().err


def test_launch_names_a_missing_contract_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["launch", "--kernel-id", "k", "--public-key", "QUJD"]) == 2
    assert "--response-address is required" in capsys.readouterr().err
