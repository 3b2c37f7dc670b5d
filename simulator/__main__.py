"""Command line entry point: ``python -m simulator [URL] [options]``.

Runs one simulated charger in an endless loop of charging sessions (or one with --once),
reconnecting every few seconds while the CSMS is down. Ctrl-C or SIGTERM stop it cleanly.
``--habit NAME`` (repeatable) and ``--habits realistic`` make it behave like real chargers
(see `simulator.habits`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from pathlib import Path
import signal
import sys

from simulator.charger import ChargerSimulator
from simulator.config import SUBPROTOCOLS, SimulatorConfig
from simulator.habits import PRESETS, Habit, describe
from simulator.security import credentials_state, restore_credentials


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults in the option help, the epilog (the habit list) kept as written."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the CLI."""
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Simulated OCPP charger (1.6J, 2.0.1 or 2.1) that charges in an endless loop.",
        formatter_class=_HelpFormatter,
        epilog="real-charger habits (--habit):\n"
        + describe()
        + "\n\n--habits realistic: "
        + ", ".join(sorted(PRESETS["realistic"])),
    )
    parser.add_argument(
        "url",
        nargs="?",
        default="ws://127.0.0.1:9000",
        help="CSMS base URL; the charger id is appended as the last path segment",
    )
    parser.add_argument("--id", default=defaults.charge_point_id, help="charge point id")
    parser.add_argument(
        "--ocpp-version",
        choices=tuple(SUBPROTOCOLS),
        default=defaults.ocpp_version,
        help="OCPP version spoken (websocket subprotocol ocpp<version>)",
    )
    parser.add_argument(
        "--connectors", type=int, default=defaults.connectors, help="number of connectors"
    )
    parser.add_argument(
        "--phases", type=int, choices=(1, 2, 3), default=defaults.phases, help="phases used"
    )
    parser.add_argument("--voltage", type=float, default=defaults.voltage, help="V per phase")
    parser.add_argument("--max-current", type=float, default=defaults.max_current, help="A")
    parser.add_argument(
        "--meter-interval",
        type=float,
        default=defaults.meter_interval,
        help="seconds between MeterValues until the CSMS sets MeterValueSampleInterval",
    )
    parser.add_argument("--id-tag", default=defaults.id_tag, help="RFID tag used for sessions")
    parser.add_argument("--vendor", default=defaults.vendor, help="max. 20 characters")
    parser.add_argument("--model", default=defaults.model, help="max. 20 characters")
    parser.add_argument("--serial", help="serial number, max. 25 characters [default: the id]")
    parser.add_argument(
        "--session-duration", type=float, default=60.0, help="typical session length in seconds"
    )
    parser.add_argument(
        "--idle-time", type=float, default=30.0, help="pause between sessions in seconds"
    )
    parser.add_argument("--once", action="store_true", help="run one session, then exit")
    parser.add_argument(
        "--reconnect-delay", type=float, default=5.0, help="seconds between connection attempts"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        type=str.upper,
        help="log level",
    )
    parser.add_argument("--wire", action="store_true", help="log every OCPP frame")
    parser.add_argument(
        "--habit",
        action="append",
        default=[],
        choices=[habit.value for habit in Habit],
        metavar="NAME",
        help="show a real-charger habit (repeatable; the list is below)",
    )
    parser.add_argument(
        "--habits",
        choices=tuple(PRESETS),
        # Run on its own (or in the demo) it behaves like a real wallbox; tests choose
        # their habits one by one, and "none" gives the polite, spec-following charger.
        default="realistic",
        help="a preset of habits (default: realistic; none: polite); --habit adds to it",
    )
    parser.add_argument(
        "--answer-delay",
        type=float,
        nargs=2,
        metavar=("MIN", "MAX"),
        default=defaults.answer_delay,
        help="seconds answers wait with habit slow_answers",
    )
    parser.add_argument(
        "--reboot-delay",
        type=float,
        default=defaults.reboot_delay,
        help="seconds offline during a Reset with habit reset_reboots",
    )
    parser.add_argument(
        "--duplicate",
        default=defaults.duplicate_message,
        metavar="ACTION",
        help="message sent twice with habit duplicate_after_lost_reply",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        help="JSON file keeping the charger's password and certificates across runs (its flash)",
    )
    parser.add_argument(
        "--reboot-required-key",
        action="append",
        default=[],
        metavar="KEY",
        help="configuration key (2.x: Component.Variable) answering RebootRequired; repeatable",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """Build the simulator configuration from parsed arguments."""
    return SimulatorConfig(
        charge_point_id=args.id,
        vendor=args.vendor,
        model=args.model,
        serial_number=args.serial or args.id[:25],
        connectors=args.connectors,
        phases=args.phases,
        voltage=args.voltage,
        max_current=args.max_current,
        meter_interval=args.meter_interval,
        id_tag=args.id_tag,
        ocpp_version=args.ocpp_version,
        habits=PRESETS[args.habits] | frozenset(Habit(name) for name in args.habit),
        answer_delay=(args.answer_delay[0], args.answer_delay[1]),
        reboot_delay=args.reboot_delay,
        duplicate_message=args.duplicate,
        reboot_required_keys=frozenset(args.reboot_required_key),
    )


async def run(args: argparse.Namespace, config: SimulatorConfig) -> None:
    """Run the simulator until its sessions are done or the task is cancelled."""
    task = asyncio.current_task()
    if task is not None:
        # SIGTERM (e.g. from the demo script) cancels like Ctrl-C so the socket closes cleanly.
        with contextlib.suppress(NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    sim = ChargerSimulator(args.url, config)
    keeper = None
    if args.state_file is not None:
        if args.state_file.is_file():
            restore_credentials(sim, json.loads(args.state_file.read_text()))
        keeper = asyncio.create_task(_keep_credentials(sim, args.state_file))
    try:
        await sim.run_forever(
            session_duration=args.session_duration,
            idle_time=args.idle_time,
            sessions=1 if args.once else None,
            reconnect_delay=args.reconnect_delay,
        )
    finally:
        if keeper is not None:
            keeper.cancel()


async def _keep_credentials(sim: ChargerSimulator, path: Path) -> None:
    """Write the charger's credentials whenever they change, as a charger keeps them in flash."""
    written = None
    while True:
        state = credentials_state(sim)
        if state != written:
            # A few hundred bytes, rarely: not worth a thread.
            path.write_text(json.dumps(state))  # noqa: ASYNC240
            written = state
        await asyncio.sleep(1)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not args.wire:
        logging.getLogger("simulator.wire").setLevel(logging.WARNING)
    try:
        config = config_from_args(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    # Ctrl-C cancels the main task (asyncio.run re-raises KeyboardInterrupt afterwards);
    # SIGTERM cancels it too. Either way run_forever has closed the socket by then.
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(run(args, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
