"""The demo building: 10 floors of 6 flats, two residents each (120: the person list is
three pages of 50), an indoor monitor per flat, door stations (one offline), access
controllers (one door not granted to the app), an elevator controller."""

from __future__ import annotations

from dataclasses import dataclass, field

FLOORS = range(1, 11)
FLATS_PER_FLOOR = 6
RESIDENTS_PER_FLAT = 2
ELEVATOR_FLOORS = tuple(range(-1, 11))
FIRST = ("Anna", "Bram", "Chloé", "Daan", "Emma", "Finn", "Greta", "Hugo", "Iris", "Jonas",
         "Kiki", "Lars", "Mila", "Noah", "Olga", "Piet", "Rosa", "Sem", "Tess", "Yusuf")
LAST = ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos",
        "Vos", "Peters", "Hendriks", "Dekker")


@dataclass
class SimDevice:
    id: str
    sn: str
    name: str
    type: str
    online: bool = True
    building: str = "A"
    unit: str = "1"
    floor: str = "0"
    access_ids: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)

    def to_api(self) -> dict:
        return {"id": self.id, "sn": self.sn, "name": self.name, "type": self.type,
                "online": self.online,
                "location": {"building": self.building, "unit": self.unit, "floor": self.floor},
                "accessIds": list(self.access_ids), "features": list(self.features)}


@dataclass
class SimDoor:
    id: str
    name: str
    device_id: str
    granted: bool = True  # granted to the demo app
    openings: int = 0  # how many times the lock actually opened

    def to_api(self, online: bool) -> dict:
        return {"id": self.id, "name": self.name, "deviceId": self.device_id, "online": online}


@dataclass
class SimRoom:
    id: str
    floor: int
    number: str

    def to_api(self) -> dict:
        return {"id": self.id, "name": f"Flat {self.number}", "building": "A", "unit": "1",
                "floor": str(self.floor), "number": self.number}


@dataclass
class SimPerson:
    id: str
    name: str
    phone: str
    room_ids: list[str]

    def to_api(self) -> dict:
        return {"id": self.id, "name": self.name, "phone": self.phone,
                "roomIds": list(self.room_ids)}


@dataclass
class Building:
    devices: dict[str, SimDevice]
    doors: dict[str, SimDoor]
    rooms: dict[str, SimRoom]
    persons: dict[str, SimPerson]


MAIN_ENTRANCE, GARAGE, BACK_DOOR, BIKE_STORAGE, PLANT_ROOM = "1001", "1002", "1003", "1004", "1005"
MAIN_STATION, BACK_STATION, ELEVATOR = "DS-1", "DS-3", "EC-1"


def seed_building() -> Building:
    devices: dict[str, SimDevice] = {}
    doors: dict[str, SimDoor] = {}

    def add(device: SimDevice, *door_list: SimDoor) -> None:
        devices[device.id] = device
        for door in door_list:
            doors[door.id] = door
            device.access_ids.append(door.id)

    add(SimDevice(MAIN_STATION, "NXDS2024A0001", "Main entrance station", "DOOR_STATION",
                  features=["FACE"]),
        SimDoor(MAIN_ENTRANCE, "Main entrance", MAIN_STATION))
    add(SimDevice("DS-2", "NXDS2024A0002", "Garage station", "DOOR_STATION", floor="-1"),
        SimDoor(GARAGE, "Garage gate", "DS-2"))
    add(SimDevice(BACK_STATION, "NXDS2024A0003", "Back door station", "DOOR_STATION",
                  online=False),
        SimDoor(BACK_DOOR, "Back door", BACK_STATION))
    add(SimDevice("AC-1", "NXAC2024A0001", "Basement controller", "ACCESS_CONTROLLER",
                  floor="-1"),
        SimDoor(BIKE_STORAGE, "Bike storage", "AC-1"),
        SimDoor(PLANT_ROOM, "Plant room", "AC-1", granted=False))
    add(SimDevice(ELEVATOR, "NXEC2024A0001", "Lift A controller", "ELEVATOR_CONTROLLER"))

    rooms: dict[str, SimRoom] = {}
    persons: dict[str, SimPerson] = {}
    n = 0
    for floor in FLOORS:
        for flat in range(1, FLATS_PER_FLOOR + 1):
            number = f"{floor}{flat:02d}"
            room = SimRoom(f"R{number}", floor, number)
            rooms[room.id] = room
            monitor = SimDevice(f"IM-{number}", f"NXIM2024{number:0>5}", f"Monitor flat {number}",
                                "INDOOR_MONITOR", floor=str(floor))
            devices[monitor.id] = monitor
            for _ in range(RESIDENTS_PER_FLAT):
                n += 1
                name = f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}"
                # Ofcom's range for drama (+44 7700 900xxx): a demo can never text a real person
                person = SimPerson(f"P{n:04d}", name, f"+447700900{100 + n:03d}", [room.id])
                persons[person.id] = person
    return Building(devices, doors, rooms, persons)
