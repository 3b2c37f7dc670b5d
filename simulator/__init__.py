"""Simulated OCPP charger for tests, the demo and load benchmarks.

Typical test use::

    async with ChargerSimulator("ws://127.0.0.1:9000", SimulatorConfig("CP1")) as sim:
        await sim.boot()
        await sim.run_session(connector_id=1, duration=5)

`SimulatorConfig(ocpp_version="2.0.1")` (or "2.1") speaks OCPP 2.x with the same primitives
and scripted sessions (see `simulator.v2` for the translation). `SimulatorConfig(habits=...)`
switches on real-charger habits (`simulator.habits`; `REALISTIC_HABITS` is what most real
wallboxes show). `python -m simulator --help` runs it from the command line.
"""

from simulator.charger import ChargerSimulator
from simulator.config import ConfigKey, SimulatorConfig
from simulator.habits import REALISTIC_HABITS, Habit

__all__ = ["REALISTIC_HABITS", "ChargerSimulator", "ConfigKey", "Habit", "SimulatorConfig"]
