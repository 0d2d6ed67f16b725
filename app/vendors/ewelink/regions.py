"""eWeLink's cloud regions. Import-light on purpose: the first screen needs the names."""

REGION_NAMES: dict[str, str] = {"cn": "China mainland", "as": "Asia", "eu": "Europe",
                                "us": "Americas"}
REGIONS: tuple[str, ...] = tuple(REGION_NAMES)
