"""The ``braid-kernel`` command line: install, uninstall and list kernelspecs, and start a kernel.

:func:`main` never raises for user mistakes: bad options print a message naming what to use
instead and return 2; filesystem failures return 1.  ``start`` is the one place a
:class:`KernelConfig` is parsed from text.  Launchers append their own arguments to a kernelspec's
``argv`` (``jupyter run`` appends the files it was given; ``jupyter console`` and older frontends
pass traitlets options such as ``--Session.key=...``; nbclient and papermill pass
``--HistoryManager.hist_file=:memory:``).  ``start`` keeps ``--Class.trait=value`` (or
``--Class.trait value``) options as IPython configuration, as ipykernel does, ignores other unknown
arguments with a warning on stderr, and refuses ones that look like misspellings of its own options.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

from braid_kernel.app.collector import StartupCollector
from braid_kernel.app.config import (
    DEFAULT_CACHE_SIZE,
    LOG_LEVELS,
    KernelConfig,
    SubshellNamespace,
    parse_size,
)
from braid_kernel.engine.modes import Backend, GuiLoop, Mode, format_modes, parse_modes
from braid_kernel.errors import ConfigError

if TYPE_CHECKING:
    from braid_kernel.app import kernelspec

# The kernelspec, gateway-launch and Python-support modules are imported by the commands that use
# them: `start`, which every kernel runs, parses with its own parser and loads none of them (~12 ms
# and ~0.4 MB of a kernel's startup).

__all__ = ("main", "parse_start_args")

_PROG = "braid-kernel"
_COMMANDS = ("install", "uninstall", "list", "start", "launch")
# The long options of `start`, against which unknown launcher options are checked for typos.
_START_FLAGS = (
    "--connection-file",
    "--modes",
    "--backend",
    "--uvloop",
    "--loop",
    "--subshell-namespace",
    "--session-idle-timeout",
    "--log-level",
    "--no-debugger",
    "--no-capture-fd",
    "--cache-dir",
    "--cache-size",
    "--lazy",
)
_TRAITLETS_OPTION = re.compile(r"--[A-Za-z_]\w*(\.[A-Za-z_]\w*)+(=.*)?", re.DOTALL)
E = TypeVar("E", bound=enum.Enum)


class _UsageError(ConfigError):
    """A command line argparse rejected; the message already carries the usage line."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of exiting, so :func:`main` owns every exit code."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.format_usage()}{self.prog}: error: {message}")


def _modes(text: str) -> Mode:
    try:
        return parse_modes(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _choice(kind: type[E], what: str) -> Callable[[str], E]:
    """An argparse type converting text to a member of ``kind``, naming the accepted values on error."""
    accepted = " or ".join(member.value for member in kind)

    def convert(text: str) -> E:
        try:
            return kind(text.lower())
        except ValueError:
            raise argparse.ArgumentTypeError(f"unknown {what} {text!r}: use {accepted}") from None

    return convert


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return seconds


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _log_level(text: str) -> str:
    if text.upper() not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"unknown log level {text!r}: use one of {', '.join(LOG_LEVELS)}")
    return text.upper()


def _enum_option(
    parser: argparse.ArgumentParser, flag: str, kind: type[E], default: E | None, doc: str
) -> None:
    """An option taking one value of ``kind``; errors name the accepted values."""
    accepted = ",".join(member.value for member in kind)
    convert = _choice(kind, flag.lstrip("-").replace("-", " "))
    parser.add_argument(flag, type=convert, default=default, metavar=f"{{{accepted}}}", help=doc)


def _add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``install`` (written into the kernelspec) and ``start``."""
    _enum_option(parser, "--backend", Backend, Backend.ASYNCIO, "async backend (default: asyncio)")
    parser.add_argument("--uvloop", action="store_true", help="run asyncio on uvloop")
    _enum_option(parser, "--loop", GuiLoop, None, "host the backend as a guest of this GUI event loop")
    _enum_option(
        parser, "--subshell-namespace", SubshellNamespace, SubshellNamespace.SHARED,
        "whether subshells share the main namespace (default: shared)",
    )  # fmt: skip
    parser.add_argument(
        "--session-idle-timeout", type=_seconds, default=None, metavar="SECONDS",
        help="forget a session idle this long (default: never)",
    )  # fmt: skip
    parser.add_argument(
        "--log-level", type=_log_level, default="WARNING", metavar="LEVEL",
        help=f"one of {', '.join(LOG_LEVELS)} (default: WARNING)",
    )  # fmt: skip
    parser.add_argument(
        "--no-debugger", dest="debugger", action="store_false", help="do not offer the debugger"
    )
    parser.add_argument(
        "--no-capture-fd", dest="capture_fd", action="store_false",
        help="leave fds 1 and 2 alone (C-level and os.system output then goes to the kernel log)",
    )  # fmt: skip
    parser.add_argument(
        "--cache-dir", type=Path, default=None, metavar="DIR",
        help="cache mode: where stores live (default: $BRAID_CACHE_DIR, else the user cache directory)",
    )  # fmt: skip
    parser.add_argument(
        "--lazy", action="store_true",
        help="react mode: a change marks the cells depending on it stale instead of re-running them",
    )  # fmt: skip
    parser.add_argument(
        "--cache-size", type=_size, default=DEFAULT_CACHE_SIZE, metavar="SIZE",
        help="cache mode: most one notebook's store holds, e.g. 500MB (default: 2GiB)",
    )  # fmt: skip


def _add_location_options(parser: argparse.ArgumentParser, verb: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--user", action="store_true", help=f"{verb} the current user's kernelspecs")
    group.add_argument("--sys-prefix", action="store_true", help=f"{verb} {sys.prefix}/share/jupyter")
    group.add_argument("--prefix", type=Path, metavar="PREFIX", help=f"{verb} PREFIX/share/jupyter")


def _location(ns: argparse.Namespace) -> kernelspec.Location | None:
    from braid_kernel.app import kernelspec

    if ns.user:
        return kernelspec.Location(kernelspec.Scope.USER)
    if ns.sys_prefix:
        return kernelspec.Location(kernelspec.Scope.SYS_PREFIX)
    if ns.prefix is not None:
        return kernelspec.Location(kernelspec.Scope.PREFIX, ns.prefix)
    return None


def _configure_start(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "-f", "--connection-file", type=Path, default=None, metavar="CONNECTION_FILE",
        help="the connection file written by the launcher",
    )  # fmt: skip
    parser.add_argument(
        "--modes", type=_modes, default=Mode(0), metavar="MODES",
        help="dash-joined modes: concurrent, react, cache, multi (default: chained)",
    )  # fmt: skip
    _add_runtime_options(parser)
    return parser


def _build_parser() -> _Parser:
    from braid_kernel.app import kernelspec
    from braid_kernel.app.lite.options import add_build_arguments
    from braid_kernel.app.remote import args as remote_args
    from braid_kernel.app.remote.kernelspec import RemoteServer

    parser = _Parser(prog=_PROG, allow_abbrev=False, description="An asynchronous Python Jupyter kernel.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {kernelspec.braid_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    install = commands.add_parser(
        "install", allow_abbrev=False, help="install a kernelspec",
        description="Install a kernelspec. Without a location it goes under sys.prefix when run from a "
        "virtualenv or conda env, else into the user's kernelspecs.",
    )  # fmt: skip
    install.add_argument(
        "modes", nargs="?", type=_modes, default=Mode(0), metavar="MODES",
        help="dash-joined modes in any order, e.g. react-concurrent",
    )  # fmt: skip
    _add_location_options(install, "install into")
    install.add_argument("--name", help="kernelspec name (default: derived from the options)")
    install.add_argument("--display-name", help="name shown by frontends (default: derived)")
    _enum_option(
        install, "--remote", RemoteServer, None,
        "a kernelspec Enterprise Gateway (eg) or gateway_provisioners (gp) launches (docs/remote-kernels.md)",
    )  # fmt: skip
    _add_runtime_options(install)
    uninstall = commands.add_parser("uninstall", allow_abbrev=False, help="remove braid kernelspecs")
    uninstall.add_argument("names", nargs="*", metavar="NAME", help='kernelspec names (default: "braid")')
    uninstall.add_argument("--all", action="store_true", help="remove every braid kernelspec")
    _add_location_options(uninstall, "only search")
    listing = commands.add_parser("list", allow_abbrev=False, help="list installed braid kernelspecs")
    _add_location_options(listing, "only search")
    start = commands.add_parser(
        "start", allow_abbrev=False, help="start a kernel",
        description="Start a kernel. --Class.trait=value arguments configure IPython, as in "
        "ipykernel; other arguments launchers append (files) are ignored with a warning.",
    )  # fmt: skip
    _configure_start(start)
    launch = commands.add_parser(
        "launch", allow_abbrev=False, help="start a kernel for Enterprise Gateway or gateway_provisioners",
        description="Start a kernel the way a gateway's kernel launcher does: bind ports in the range, "
        "then send the encrypted connection info to the response address (docs/remote-kernels.md).",
    )  # fmt: skip
    remote_args.add_launcher_options(launch)
    _configure_start(launch)
    lite = commands.add_parser("lite", allow_abbrev=False, help="braid in JupyterLite")
    lite_commands = lite.add_subparsers(dest="lite_command", metavar="COMMAND", required=True)
    build = lite_commands.add_parser(
        "build", allow_abbrev=False, help="build a static JupyterLite site with braid as its kernel",
        description="Build a JupyterLite site into OUTPUT_DIR whose default kernel is braid, run by "
        "Pyodide in the browser, with everything it loads inside the site (no network at run time).",
    )  # fmt: skip
    add_build_arguments(build, _modes)
    return parser


def _config_from(
    ns: argparse.Namespace, modes: Mode, connection_file: Path | None, ipython_options: Sequence[str] = ()
) -> KernelConfig:
    return KernelConfig(
        connection_file=connection_file,
        modes=modes,
        backend=ns.backend,
        uvloop=ns.uvloop,
        loop=ns.loop,
        subshell_namespace=ns.subshell_namespace,
        session_idle_timeout=ns.session_idle_timeout,
        log_level=ns.log_level,
        debugger=ns.debugger,
        capture_fd=ns.capture_fd,
        cache_dir=ns.cache_dir,
        cache_size=ns.cache_size,
        ipython_options=tuple(ipython_options),
        react_lazy=ns.lazy,
    )


def _launcher_extras(extras: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split arguments ``start`` does not know into IPython options (``--Class.trait=value``, or
    ``--Class.trait value``) and the rest; misspelt own options raise."""
    options: list[str] = []
    ignored: list[str] = []
    args = list(extras)
    while args:
        arg = args.pop(0)
        if _TRAITLETS_OPTION.fullmatch(arg):
            options.append(arg)
            if "=" not in arg and args and not args[0].startswith("-"):
                options.append(args.pop(0))
            continue
        if arg.startswith("-"):
            flag = arg.split("=", 1)[0]
            import difflib  # here: a kernel started with known options does not load it (memory)

            close = difflib.get_close_matches(flag, _START_FLAGS, n=1, cutoff=0.75)
            if close:
                raise _UsageError(
                    f"{_PROG} start: error: unrecognized option {flag}: did you mean {close[0]}?"
                )
        ignored.append(arg)
    return options, ignored


def parse_start_args(argv: Sequence[str]) -> tuple[KernelConfig, list[str]]:
    """Parse ``start``'s arguments into a config plus the launcher arguments it will ignore.

    ``--Class.trait=value`` options become the config's ``ipython_options``.  Raises
    :class:`ConfigError` for a bad value of one of its own options or a near-miss spelling of one;
    any other unknown argument is tolerated and returned.
    """
    ns, extras = _start_parser().parse_known_args(list(argv))
    options, ignored = _launcher_extras(extras)
    return _config_from(ns, ns.modes, ns.connection_file, options), ignored


def _start_parser() -> _Parser:
    parser = _Parser(prog=f"{_PROG} start", allow_abbrev=False)
    _configure_start(parser)
    return parser


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The command line's namespace and unknown arguments.  ``start``, which every kernel runs, is
    parsed by a parser of its own: building the full one loads the other commands' modules."""
    if argv[:1] == ["start"]:
        ns, extras = _start_parser().parse_known_args(argv[1:])
        ns.command = "start"
        return ns, extras
    return _build_parser().parse_known_args(argv)


def _run_kernel(config: KernelConfig, collector: StartupCollector) -> int:
    # Imported on demand: the kernel pulls in zmq, IPython and anyio, which the other commands
    # (and `--help`) should not wait for.  import_module keeps this module checkable on its own.
    module = importlib.import_module("braid_kernel.app.launch")
    run_kernel: Callable[[KernelConfig, StartupCollector], int] = module.run_kernel
    return run_kernel(config, collector)


def _cmd_start(ns: argparse.Namespace, extras: list[str], collector: StartupCollector) -> int:
    options, ignored = _launcher_extras(extras)
    config = _config_from(ns, ns.modes, ns.connection_file, options)
    if ignored:
        print(f"{_PROG}: warning: ignoring launcher arguments: {' '.join(ignored)}", file=sys.stderr)
    return _run_kernel(config, collector)


def _cmd_launch(ns: argparse.Namespace, extras: list[str], collector: StartupCollector) -> int:
    if ns.connection_file is not None:
        raise ConfigError("launch writes no connection file: drop -f (the gateway gets the connection info)")
    from braid_kernel.app.remote import args as remote_args

    request = remote_args.launch_request(ns)
    options, ignored = _launcher_extras(extras)
    config = _config_from(ns, ns.modes, None, options)
    if ignored:
        print(f"{_PROG}: warning: ignoring launcher arguments: {' '.join(ignored)}", file=sys.stderr)
    module = importlib.import_module("braid_kernel.app.remote.launcher")
    run: Callable[[KernelConfig, remote_args.LaunchRequest, StartupCollector], int] = module.run_remote_kernel
    return run(config, request, collector)


def _cmd_install(ns: argparse.Namespace) -> int:
    from braid_kernel.app import kernelspec
    from braid_kernel.app.remote.kernelspec import build_remote_spec, remote_spec_name
    from braid_kernel.pythons import untested_python

    config = _config_from(ns, ns.modes, None)
    location = _location(ns) or kernelspec.default_location()
    if ns.remote is None:
        destination = kernelspec.install_spec(config, location, ns.name, ns.display_name)
    else:
        spec = build_remote_spec(config, ns.remote, ns.display_name)
        name = remote_spec_name(config, ns.remote) if ns.name is None else ns.name
        destination = kernelspec.install_spec(config, location, name, spec=spec)
    print(f"Installed kernelspec {destination.name} in {destination}")
    untested = untested_python()
    if untested is not None:
        print(f"{_PROG}: warning: {untested}", file=sys.stderr)
    return 0


def _cmd_uninstall(ns: argparse.Namespace) -> int:
    if ns.all and ns.names:
        raise ConfigError("give kernelspec names or --all, not both")
    from braid_kernel.app import kernelspec

    location = _location(ns)
    if ns.all:
        removed = kernelspec.uninstall_all(location)
    else:
        removed = kernelspec.uninstall_specs(ns.names or ["braid"], location)
    for path in removed:
        print(f"Removed {path}")
    if not removed:
        print("No braid kernelspecs found.")
    return 0


def _describe(spec: kernelspec.InstalledSpec) -> str:
    try:
        config, _ = parse_start_args(spec.options)
    except ConfigError:
        return f"unreadable options: {' '.join(spec.options)}"
    parts = [f"modes={format_modes(config.modes) or 'chained'}", f"backend={config.backend.value}"]
    if config.uvloop:
        parts.append("uvloop")
    if config.loop is not None:
        parts.append(f"loop={config.loop.value}")
    if config.react_lazy:
        parts.append("lazy")
    if "launch" in spec.argv:
        parts.append("launched-by=gateway")
    return " ".join(parts)


def _cmd_list(ns: argparse.Namespace) -> int:
    from braid_kernel.app import kernelspec

    specs = kernelspec.find_specs(_location(ns))
    if not specs:
        print("No braid kernelspecs found.")
    width = max((len(spec.name) for spec in specs), default=0)
    for spec in specs:
        print(f"{spec.name:<{width}}  {spec.resource_dir}  {_describe(spec)}")
    return 0


def _cmd_lite(ns: argparse.Namespace) -> int:
    from braid_kernel.app.lite import deps
    from braid_kernel.app.lite.site import build_site, offered_kernels

    if ns.lazy and Mode.REACT not in ns.modes:
        raise _UsageError(f"{_PROG} lite build: error: --lazy needs the react mode (--modes react)")
    modes = "-".join(filter(None, [format_modes(ns.modes) if ns.modes else "", "lazy" if ns.lazy else ""]))
    kernels = offered_kernels([modes, *ns.kernel])  # refuses multi before anything is fetched
    if ns.deps is not None:
        manifest = deps.Manifest.read(ns.deps)
    else:
        defaults = deps.Sources()
        sources = deps.Sources(ns.npm_registry or defaults.npm_registry, ns.index_url or defaults.index_url)
        manifest = deps.ensure(ns.cache_dir, sources, refresh=ns.refresh)
    out = build_site(ns.output, manifest.pyodide, manifest.wheels, contents=ns.contents, kernels=kernels)
    names = ", ".join(kernel["display_name"] for kernel in kernels)
    print(f"JupyterLite site with {names} in {out} (serve it, e.g. python -m http.server -d {out})")
    return 0


def _dispatch(argv: list[str], collector: StartupCollector) -> int:
    try:
        ns, extras = _parse(argv)
    except SystemExit as exc:  # --help and --version; a kernel's own SystemExit is not caught here
        return exc.code if isinstance(exc.code, int) else 0
    # A kernel resumes the garbage collector once it is built; the other commands at once.
    if ns.command == "start":
        return _cmd_start(ns, extras, collector)
    if ns.command == "launch":
        return _cmd_launch(ns, extras, collector)
    collector.resume()
    if extras:
        raise _UsageError(f"{_PROG} {ns.command}: error: unrecognized arguments: {' '.join(extras)}")
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "install": _cmd_install,
        "uninstall": _cmd_uninstall,
        "list": _cmd_list,
        "lite": _cmd_lite,
    }
    try:
        return handlers[ns.command](ns)
    except OSError as exc:
        hint = "; try --user or --sys-prefix" if ns.command == "install" else ""
        print(f"{_PROG}: error: {exc}{hint}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None, collector: StartupCollector | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the process exit code.

    Arguments starting with an option (``-f FILE``, as ipykernel-style kernelspecs pass) mean
    ``start``.  Returns 0 on success, 2 for a bad command line or option value (with the message on
    stderr), 1 when the filesystem refuses an install or removal, else what the kernel returns.
    The garbage collector is paused until the command is parsed, or the kernel is built
    (:mod:`braid_kernel.app.collector`); ``python -m braid_kernel`` pauses it before importing this
    module and passes ``collector``.
    """
    collector = StartupCollector.pause() if collector is None else collector
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0].startswith("-") and args[0] not in ("-h", "--help", "--version"):
        args.insert(0, "start")
    try:
        return _dispatch(args, collector)
    except ConfigError as exc:
        message = str(exc) if isinstance(exc, _UsageError) else f"{_PROG}: error: {exc}"
        print(message, file=sys.stderr)
        return 2
    finally:
        collector.resume()  # a kernel that never served, a command that failed
