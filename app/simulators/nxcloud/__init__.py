"""Simulated NXCloud: signed JSON API for SMS, WhatsApp and number check on loopback.

Start here: `NxcloudSim` (sim.py). The endpoints and their refusals are api.py; the
demo account, templates and known numbers demo.py.
"""

from app.simulators.nxcloud.sim import Faults, NxcloudSim, SentMessage

__all__ = ["Faults", "NxcloudSim", "SentMessage"]
