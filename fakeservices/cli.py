"""``fakeservices`` command line: ``fakeservices serve [OPTIONS]``.

Every option also reads ``FAKESERVICES_<NAME>``; precedence is option > variable > config file >
default. A bad value exits 2 with one line naming it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from fakeservices import __version__
from fakeservices.core.config import Config, env_var, load_config_file, loop_factory

# (option, Config field, click type, help)
_OPTIONS: list[tuple[str, str, Any, str]] = [
    ("--host", "host", str, "Address both listeners bind (default 127.0.0.1)."),
    ("--http-port", "http_port", int, "HTTP port; 0 picks a free one (default 4010)."),
    ("--smtp-port", "smtp_port", int, "SMTP port; 0 picks a free one (default 2525)."),
    ("--max-messages", "max_messages", int, "Items kept per store before the oldest is evicted."),
    ("--max-message-bytes", "max_message_bytes", int, "Largest accepted email (default 10 MiB)."),
    ("--journal-size", "journal_size", int, "Entries kept in the request journal."),
    ("--max-accounts", "max_accounts", int, "Stripe accounts kept; least recently used go (1000)."),
    (
        "--max-stripe-objects",
        "max_stripe_objects",
        int,
        "Stripe objects kept per account; the oldest go first (10000).",
    ),
    ("--hold-seconds", "hold_seconds", float, "How long timeouts hold a request open (60)."),
    ("--fault-seed", "fault_seed", int, "Seed for fault probabilities and random delays."),
    ("--log-level", "log_level", str, "debug, info, warning, error or critical."),
    ("--loop", "loop", str, "auto, asyncio or uvloop (auto: uvloop if installed)."),
    ("--http", "http", str, "auto, h11 or httptools (auto: httptools if installed)."),
    ("--sms-step-seconds", "sms_step_seconds", float, "Delay between SMS status steps (0.05)."),
    ("--delivery-attempts", "delivery_attempts", int, "Tries per webhook/callback (4)."),
    (
        "--delivery-backoff-seconds",
        "delivery_backoff_seconds",
        float,
        "Delay before the first webhook retry, doubling after (0.2).",
    ),
]


def _error(message: str) -> None:
    click.echo(f"fakeservices: error: {message}", err=True)
    sys.exit(2)


def build_config(values: dict[str, Any], config_file: Path | None) -> Config:
    """Merge file values under CLI/env values and validate; exit 2 with one line if invalid."""
    merged: dict[str, Any] = {}
    if config_file is not None:
        try:
            merged.update(load_config_file(config_file))
        except (OSError, ValueError) as exc:
            _error(f"--config {config_file}: {exc}")
    merged.update({k: v for k, v in values.items() if v is not None})
    try:
        return Config(**merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        option = "--" + field.replace("_", "-")
        _error(f"invalid value for {option} ({env_var(field)}): {err['msg']}")
        raise  # unreachable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fakeservices")
def cli() -> None:
    """In-memory fakes of Stripe, Twilio and email services for integration tests."""


def _serve_options(fn: Any) -> Any:
    for option, field, _kind, help_text in reversed(_OPTIONS):
        # Values stay strings here so that pydantic validates CLI and env alike, and the one-line
        # error can name both the option and its variable.
        fn = click.option(option, field, type=str, envvar=env_var(field), help=help_text)(fn)
    return click.option(
        "--config",
        "config_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        envvar=env_var("config"),
        help="TOML or JSON file of settings (keys as the options, e.g. http_port).",
    )(fn)


@cli.command()
@_serve_options
def serve(config_file: Path | None, **values: Any) -> None:
    """Start the HTTP and SMTP listeners and serve until SIGINT/SIGTERM."""
    config = build_config(values, config_file)
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
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
        _error(f"cannot listen: {exc}")


async def _serve(config: Config) -> None:
    from fakeservices.server import Server

    server = Server(config)
    await server.start()
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
