"""Connection files: endpoints, keys, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.connect import write_connection_file

from braid_kernel.errors import ConfigError
from braid_kernel.wire.connection import ConnectionInfo

PORTS = {"shell_port": 5001, "control_port": 5002, "stdin_port": 5003, "iopub_port": 5004, "hb_port": 5005}


def info(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "transport": "tcp",
        "ip": "127.0.0.1",
        "key": "secret",
        "signature_scheme": "hmac-sha256",
        "kernel_name": "braid",
        **PORTS,
    }
    data.update(overrides)
    return data


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "kernel-test.json"
    path.write_text(content, encoding="utf-8")
    return path


def test_tcp_endpoints_name_ip_and_port() -> None:
    conn = ConnectionInfo.from_dict(info(ip="10.0.0.5"))
    assert conn.endpoint("shell") == "tcp://10.0.0.5:5001"
    assert conn.endpoint("control") == "tcp://10.0.0.5:5002"
    assert conn.endpoint("stdin") == "tcp://10.0.0.5:5003"
    assert conn.endpoint("iopub") == "tcp://10.0.0.5:5004"
    assert conn.endpoint("hb") == "tcp://10.0.0.5:5005"


def test_ipc_endpoints_are_path_dash_port() -> None:
    conn = ConnectionInfo.from_dict(info(transport="ipc", ip="/tmp/kernel-ipc"))
    assert conn.endpoint("shell") == "ipc:///tmp/kernel-ipc-5001"
    assert conn.endpoint("hb") == "ipc:///tmp/kernel-ipc-5005"


def test_key_scheme_and_name_are_read() -> None:
    conn = ConnectionInfo.from_dict(info(signature_scheme="hmac-sha512"))
    assert conn.key == b"secret"
    assert conn.signature_scheme == "hmac-sha512"
    assert conn.kernel_name == "braid"


def test_defaults_for_optional_fields() -> None:
    conn = ConnectionInfo.from_dict(dict(PORTS))
    assert (conn.transport, conn.ip, conn.key, conn.signature_scheme) == (
        "tcp",
        "127.0.0.1",
        b"",
        "hmac-sha256",
    )
    assert not conn.curve


def test_string_ports_are_accepted_as_numbers() -> None:
    assert ConnectionInfo.from_dict(info(shell_port="6001")).shell_port == 6001


def test_curve_keys_enable_curve() -> None:
    conn = ConnectionInfo.from_dict(info(curve_publickey="P" * 40, curve_secretkey="S" * 40))
    assert conn.curve
    assert conn.curve_publickey == b"P" * 40
    assert conn.curve_secretkey == b"S" * 40


@pytest.mark.parametrize(
    "keys", [{}, {"curve_publickey": None, "curve_secretkey": None}, {"curve_publickey": ""}]
)
def test_no_curve_keys_means_no_curve(keys: dict[str, Any]) -> None:
    assert not ConnectionInfo.from_dict(info(**keys)).curve


@pytest.mark.parametrize(
    ("keys", "missing"),
    [
        ({"curve_publickey": "P" * 40}, "curve_secretkey"),
        ({"curve_secretkey": "S" * 40}, "curve_publickey"),
        ({"curve_publickey": "P" * 40, "curve_secretkey": ""}, "curve_secretkey"),
        ({"curve_publickey": None, "curve_secretkey": "S" * 40}, "curve_publickey"),
    ],
)
def test_one_curve_key_alone_is_refused_naming_the_other(keys: dict[str, Any], missing: str) -> None:
    with pytest.raises(ConfigError, match=f"no {missing}"):
        ConnectionInfo.from_dict(info(**keys))


def test_file_written_by_jupyter_client_loads(tmp_path: Path) -> None:
    fname, cfg = write_connection_file(str(tmp_path / "kernel-jc.json"), ip="127.0.0.1", key=b"jc-key")
    conn = ConnectionInfo.load(Path(fname))
    assert conn.key == b"jc-key"
    assert conn.shell_port == cfg["shell_port"]
    assert conn.endpoint("iopub") == f"tcp://127.0.0.1:{cfg['iopub_port']}"


def test_connection_info_is_frozen() -> None:
    conn = ConnectionInfo.from_dict(info())
    with pytest.raises(AttributeError):
        conn.ip = "0.0.0.0"  # type: ignore[misc]


def test_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ConfigError, match=r"cannot read connection file .*nope\.json"):
        ConnectionInfo.load(path)


def test_invalid_json_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "{ not json")
    with pytest.raises(ConfigError, match=r"cannot read connection file .*kernel-test\.json"):
        ConnectionInfo.load(path)


def test_non_object_file_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps([1, 2, 3]))
    with pytest.raises(ConfigError, match="is not a JSON object"):
        ConnectionInfo.load(path)


@pytest.mark.parametrize("port", list(PORTS))
def test_missing_port_is_a_config_error_naming_it(tmp_path: Path, port: str) -> None:
    data = info()
    del data[port]
    with pytest.raises(ConfigError, match=f"lacks a valid port.*{port}"):
        ConnectionInfo.load(write(tmp_path, json.dumps(data)))


@pytest.mark.parametrize("value", ["abc", None, [5001]])
def test_non_numeric_port_is_a_config_error(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ConfigError, match="lacks a valid port"):
        ConnectionInfo.load(write(tmp_path, json.dumps(info(shell_port=value))))


def test_unknown_transport_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"'udp' is not 'tcp' or 'ipc'"):
        ConnectionInfo.from_dict(info(transport="udp"))
