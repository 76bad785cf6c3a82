"""The launcher contract's arguments: both spellings, placeholders, ranges, refused options."""

from __future__ import annotations

import argparse

import pytest

from braid_kernel.app.remote.args import (
    Encryption,
    LaunchRequest,
    PortRange,
    add_launcher_options,
    launch_request,
)
from braid_kernel.errors import ConfigError

KEY = "TUlHZk1BMEdDU3FHU0liM0RRRUJBUVVBQTRHTkFEQ0JpUUtCZ1FD"  # base64 (content checked elsewhere)


def parse(*argv: str) -> LaunchRequest:
    parser = argparse.ArgumentParser()
    add_launcher_options(parser)
    return launch_request(parser.parse_args(list(argv)))


def contract(**overrides: str) -> list[str]:
    values = {
        "--kernel-id": "k-1",
        "--response-address": "10.0.0.5:8877",
        "--public-key": KEY,
        "--port-range": "40000..41000",
        **overrides,
    }
    return [item for flag, value in values.items() if value is not None for item in (flag, value)]


def test_the_plain_spelling() -> None:
    request = parse(*contract())
    assert request == LaunchRequest(
        kernel_id="k-1",
        response_host="10.0.0.5",
        response_port=8877,
        public_key=KEY,
        port_range=PortRange(40000, 41000),
        encryption=Encryption.DISABLED,
        ip="0.0.0.0",
    )


def test_the_deprecated_remote_process_proxy_spelling() -> None:
    argv = [arg.replace("--", "--RemoteProcessProxy.") if arg.startswith("--") else arg for arg in contract()]
    argv += ["--RemoteProcessProxy.spark-context-initialization-mode", "none"]
    assert parse(*argv) == parse(*contract())


def test_the_plain_spelling_wins_over_the_deprecated_one() -> None:
    request = parse(*contract(), "--RemoteProcessProxy.kernel-id", "old")
    assert request.kernel_id == "k-1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", Encryption.DISABLED),  # gateway_provisioners' "not asked"
        ("{transport_encryption}", Encryption.DISABLED),  # a server that does not fill it
        ("disabled", Encryption.DISABLED),
        ("auto", Encryption.AUTO),
        ("REQUIRED", Encryption.REQUIRED),
    ],
)
def test_transport_encryption_policies(value: str, expected: Encryption) -> None:
    assert parse(*contract(), "--transport-encryption", value).encryption is expected


def test_an_unknown_encryption_policy_is_refused_rather_than_served_in_clear() -> None:
    with pytest.raises(ConfigError, match="--transport-encryption 'preferred'"):
        parse(*contract(), "--transport-encryption", "preferred")


@pytest.mark.parametrize("text", ["0..0", "{port_range}"])
def test_any_port(text: str) -> None:
    assert parse(*contract(**{"--port-range": text})).port_range.any_port


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("40000-41000", "LOWER..UPPER"),
        ("a..b", "LOWER..UPPER"),
        ("80..2000", "1024 <= LOWER"),
        ("41000..40000", "1024 <= LOWER"),
        ("40000..40003", "at least 6 ports"),
    ],
)
def test_bad_port_ranges(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse(*contract(**{"--port-range": text}))


@pytest.mark.parametrize("flag", ["--kernel-id", "--response-address", "--public-key"])
def test_required_arguments(flag: str) -> None:
    argv = contract()
    index = argv.index(flag)
    with pytest.raises(ConfigError, match=f"{flag} is required"):
        parse(*(argv[:index] + argv[index + 2 :]))


@pytest.mark.parametrize("flag", ["--kernel-id", "--response-address", "--public-key"])
def test_unfilled_placeholders_are_refused(flag: str) -> None:
    placeholder = "{" + flag[2:].replace("-", "_") + "}"
    with pytest.raises(ConfigError, match="unfilled placeholder"):
        parse(*contract(**{flag: placeholder}))


@pytest.mark.parametrize("address", ["10.0.0.5", "10.0.0.5:port", ":8877", "10.0.0.5:70000"])
def test_bad_response_addresses(address: str) -> None:
    with pytest.raises(ConfigError, match="IP:PORT"):
        parse(*contract(**{"--response-address": address}))


def test_an_ipv6_response_address() -> None:
    request = parse(*contract(**{"--response-address": "[fe80::1]:8877"}))
    assert (request.response_host, request.response_port) == ("fe80::1", 8877)


def test_a_public_key_that_is_not_base64_is_refused() -> None:
    with pytest.raises(ConfigError, match="not base64"):
        parse(*contract(**{"--public-key": "not*base64"}))


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--spark-context-initialization-mode", "eager"], "Spark context"),
        (["--RemoteProcessProxy.spark-context-initialization-mode", "lazy"], "Spark context"),
        (["--cluster-type", "dask"], "no cluster"),
        (["--kernel-class-name", "ipykernel.ipkernel.IPythonKernel"], "not ipykernel"),
    ],
)
def test_stock_launcher_options_braid_cannot_honour_are_refused(argv: list[str], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse(*contract(), *argv)


def test_stock_launcher_options_that_ask_for_nothing_are_accepted() -> None:
    request = parse(*contract(), "--spark-context-initialization-mode", "none", "--cluster-type", "spark")
    assert request == parse(*contract())


def test_an_ipv6_bind_address_is_refused_with_a_reason() -> None:
    with pytest.raises(ConfigError, match="IPv4"):
        parse(*contract(), "--ip", "::")
