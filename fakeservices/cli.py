"""``fakeservices`` command line: ``fakeservices serve [OPTIONS]``.

Every option also reads ``FAKESERVICES_<NAME>``; precedence is option > variable > config file >
default. A bad value exits 2 with one line naming it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from pathlib import Path
from typing import Any, get_args

import click

from fakeservices import __version__
from fakeservices.core import allocator, logs
from fakeservices.core.config import Config, config_fields, env_var, load_config_file, loop_factory

# (option, Config field, click type, help)
_OPTIONS: list[tuple[str, str, Any, str]] = [
    ("--host", "host", str, "Address both listeners bind."),
    ("--http-port", "http_port", int, "HTTP port; 0 picks a free one."),
    ("--smtp-port", "smtp_port", int, "SMTP port; 0 picks a free one."),
    ("--max-messages", "max_messages", int, "Items kept per store before the oldest is evicted."),
    ("--max-message-bytes", "max_message_bytes", int, "Largest accepted email in bytes."),
    ("--journal-size", "journal_size", int, "Entries kept in the request journal."),
    ("--max-accounts", "max_accounts", int, "Stripe accounts kept; the least recently used go."),
    (
        "--max-stripe-objects",
        "max_stripe_objects",
        int,
        "Stripe objects kept per account; the oldest go first.",
    ),
    ("--hold-seconds", "hold_seconds", float, "How long timeouts hold a request open."),
    ("--fault-seed", "fault_seed", int, "Seed for fault probabilities and random delays."),
    ("--log-level", "log_level", str, "How much to log."),
    ("--loop", "loop", str, "Event loop (auto: uvloop if installed)."),
    ("--http", "http", str, "HTTP parser (auto: httptools if installed)."),
    ("--sms-step-seconds", "sms_step_seconds", float, "Delay between SMS status steps."),
    ("--delivery-attempts", "delivery_attempts", int, "Tries per webhook/callback."),
    (
        "--delivery-backoff-seconds",
        "delivery_backoff_seconds",
        float,
        "Delay before the first webhook retry, doubling after.",
    ),
]


def _error(message: str) -> None:
    click.echo(f"fakeservices: error: {message}", err=True)
    sys.exit(2)


def build_config(values: dict[str, Any], config_file: Path | None) -> Config:
    """Merge file values under CLI/env values and validate; exit 2 with one line if invalid.

    An error in a value that came from the config file names the file and the key as written
    there; one from an option or variable names both."""
    merged: dict[str, Any] = {}
    #: Config field -> the key as written in the file, for values the file supplies.
    from_file: dict[str, str] = {}
    if config_file is not None:
        try:
            settings = load_config_file(config_file)
        except (OSError, ValueError) as exc:
            _error(f"--config {config_file}: {exc}")
        for key, value in settings.items():
            field = key.replace("-", "_")
            merged[field] = value
            from_file[field] = key
    given = {k: v for k, v in values.items() if v is not None}
    merged.update(given)
    try:
        return Config(**merged)
    except ValueError as exc:
        # pydantic's ValidationError (a ValueError), imported only when a value needed it.
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        if field in from_file and field not in given:
            key = from_file[field]
            if err["type"] == "extra_forbidden":
                known = ", ".join(_OPTION_FIELDS)
                _error(f"{config_file}: unknown key {key!r} (known keys: {known})")
            _error(f"{config_file}: invalid value for key {key!r}: {err['msg']}")
        option = "--" + field.replace("_", "-")
        _error(f"invalid value for {option} ({env_var(field)}): {err['msg']}")
        raise  # unreachable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fakeservices")
def cli() -> None:
    """In-memory fakes of Stripe, Twilio and email services for integration tests."""


_OPTION_FIELDS = tuple(field for _option, field, _kind, _help in _OPTIONS)
_TYPE_NAMES = {int: "INTEGER", float: "SECONDS", str: "TEXT"}


def _metavar(field: str, kind: Any) -> str:
    """The value's type as ``--help`` shows it: the choices of a Literal, else the type."""
    choices = get_args(config_fields()[field].annotation)
    if choices and all(isinstance(c, str) for c in choices):
        return "[" + "|".join(choices) + "]"
    if kind is float and not field.endswith("seconds"):
        return "NUMBER"
    return _TYPE_NAMES[kind]


def _default(field: str) -> str:
    default = config_fields()[field].default
    return "random" if default is None else str(default)


def _serve_options(fn: Any) -> Any:
    for option, field, kind, help_text in reversed(_OPTIONS):
        # Values stay strings here so that pydantic validates CLI and env alike, and the one-line
        # error can name both the option and its variable. --help shows the type, the default
        # and the variable.
        fn = click.option(
            option,
            field,
            type=str,
            envvar=env_var(field),
            metavar=_metavar(field, kind),
            help=f"{help_text}  [default: {_default(field)}; env var: {env_var(field)}]",
        )(fn)
    return click.option(
        "--config",
        "config_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        envvar=env_var("config"),
        metavar="FILE",
        help="TOML or JSON file of settings (keys as the options, e.g. http_port or http-port)."
        "  [env var: FAKESERVICES_CONFIG]",
    )(fn)


@cli.command()
@_serve_options
def serve(config_file: Path | None, **values: Any) -> None:
    """Start the HTTP and SMTP listeners and serve until SIGINT/SIGTERM."""
    config = build_config(values, config_file)
    logs.configure(config.log_level, sys.stderr)
    allocator.tune()
    # aiosmtpd logs every SMTP line and uvicorn its start-up at info; our own lines are enough.
    quiet = max(logging.WARNING, logging.getLogger().level)
    for name in ("mail.log", "uvicorn.error"):
        logging.getLogger(name).setLevel(quiet)
    try:
        factory = loop_factory(config.loop)
    except ImportError:
        _error("--loop uvloop: uvloop is not installed (pip install 'fakeservices[fast]')")
        raise  # unreachable
    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(_serve(config))
    except OSError as exc:
        _error(str(exc))


#: The garbage collector's thresholds while serving (the default is 700, 10, 10). Every request
#: allocates a few hundred objects, nearly none in cycles, so at 700 a young pass ran every few
#: requests and a full pass over everything stored (emails, SMS, Stripe objects, the journal) every
#: few thousand. In one interleaved bench/cpu.py run: Twilio create 639 -> 522 us of server CPU,
#: SendGrid 545 -> 482 us. Young passes every 10,000 allocations keep cyclic garbage to a few MB.
GC_THRESHOLDS = (10_000, 20, 50)


async def _serve(config: Config) -> None:
    # Start-up builds hundreds of thousands of objects that live as long as the process (modules,
    # classes, routes) and almost no garbage: the collector's passes over them while they are
    # being built took about a tenth of start-up's CPU time. It is off until the server is up;
    # the little cyclic garbage start-up leaves (about 1,400 objects, 0.35 MB, measured) is frozen
    # with the rest.
    gc.disable()
    try:
        from fakeservices.server import Server

        server = Server(config)
        await server.start()
        # What start-up made lives as long as the process: in the permanent generation, the
        # garbage collector's full passes skip it. A full pass over it all costs the loop about
        # 40 ms of CPU on a 2-core CI machine, more than the rest of any request is allowed to
        # (docs/architecture.md, "The event loop").
        gc.freeze()
    finally:
        gc.enable()
    gc.set_threshold(*GC_THRESHOLDS)
    click.echo(server.banner())
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point: click errors become one line and exit 2."""
    try:
        cli.main(args=argv, prog_name="fakeservices", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(2)
    except click.UsageError as exc:
        _error(exc.format_message().replace("\n", " "))
    except click.ClickException as exc:
        _error(exc.format_message())
    except click.exceptions.Abort:
        sys.exit(1)
