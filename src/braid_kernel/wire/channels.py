"""The channels a Jupyter kernel talks on: a fact of the protocol, named once for every layer."""

from __future__ import annotations

import enum


class Channel(enum.Enum):
    """The kernel's sockets (heartbeat excluded: it never carries messages)."""

    SHELL = "shell"
    CONTROL = "control"
    STDIN = "stdin"
    IOPUB = "iopub"
