"""Simulated NEXhome cloud. Start here: `NexhomeSim` (sim.py); the REST API is api.py (the
guard and the handlers, on the routes of app/vendors/nexhome/endpoints.py), body checks
checks.py, the message subscription mq.py, the demo building demo.py."""

from app.simulators.nexhome.demo import (BACK_DOOR, BACK_STATION, BIKE_STORAGE, ELEVATOR, GARAGE,
                                         MAIN_ENTRANCE, MAIN_STATION, PLANT_ROOM)
from app.simulators.nexhome.sim import Faults, NexhomeSim

__all__ = ["BACK_DOOR", "BACK_STATION", "BIKE_STORAGE", "ELEVATOR", "Faults", "GARAGE",
           "MAIN_ENTRANCE", "MAIN_STATION", "NexhomeSim", "PLANT_ROOM"]
