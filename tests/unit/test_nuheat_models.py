"""Nuheat models: documented field names both ways, enums, temperature conversion."""

import pytest

from app.vendors.nuheat.models import (
    AccountModel, EnergyUsageModel, GroupModel, OperatingMode, ScheduleMode, ScheduleModel, ScheduleType,
    TemperatureScale, ThermostatModel, ThermostatUpdateModel, celsius_to_centi, centi_to_celsius,
    centi_to_fahrenheit, fahrenheit_to_centi, format_temperature, from_centi, set_point_in_range, to_centi)

THERMOSTAT = {
    "serialNumber": "1234567", "name": "Bathroom", "setPointTemp": 2150, "scheduleMode": 2,
    "holdSetPointDateTime": "2018-10-03T19:00:00+00:00", "groupId": "42", "swVersion": "1.2.3",
    "online": True, "operatingMode": 1, "isHeating": True, "currentTemperature": 1988, "tzOffset": -5.0,
    "error": None,
}


def test_temperature_conversion():
    assert centi_to_celsius(2150) == 21.5
    assert celsius_to_centi(21.5) == 2150
    assert fahrenheit_to_centi(212) == 10000
    assert centi_to_fahrenheit(0) == 32.0
    # the app shows 61 °F for a stored 1607 (whole degrees Fahrenheit)
    assert format_temperature(1607, "Fahrenheit") == "61 °F"
    assert format_temperature(2150, TemperatureScale.CELSIUS) == "21.5 °C"
    assert format_temperature(2160, "Celsius") == "21.5 °C"
    assert format_temperature(None, "Celsius") == "—"
    assert from_centi(2000, "Fahrenheit") == pytest.approx(68.0)
    assert to_centi(68, TemperatureScale.FAHRENHEIT) == 2000


@pytest.mark.parametrize("centi", [500, 1607, 2150, 3333, 7000])
def test_round_trip_within_a_hundredth(centi):
    for scale in TemperatureScale:
        assert abs(to_centi(from_centi(centi, scale), scale) - centi) <= 1


def test_set_point_range():
    assert set_point_in_range(500) and set_point_in_range(7000)
    assert not set_point_in_range(499) and not set_point_in_range(7001)


def test_thermostat_round_trip():
    t = ThermostatModel.from_api(THERMOSTAT)
    assert t.serial_number == "1234567" and t.set_point_temp == 2150
    assert t.schedule_mode is ScheduleMode.HOLD and t.operating_mode is OperatingMode.AUTO
    assert t.current_temperature == 1988 and t.is_heating and t.group_id == "42"
    assert t.to_api() == THERMOSTAT


def test_unknown_enum_values_are_kept():
    t = ThermostatModel.from_api({**THERMOSTAT, "scheduleMode": 9, "operatingMode": None})
    assert t.schedule_mode == 9 and t.operating_mode is None


def test_update_bodies_follow_the_seed():
    assert ThermostatUpdateModel.auto("0").to_api() == {
        "serialNumber": "0", "setPointTemp": 0, "scheduleMode": 1, "holdSetPointDateTime": ""}
    assert ThermostatUpdateModel.hold("0", 3000, "2018-10-03T19:00:00+00:00").to_api() == {
        "serialNumber": "0", "setPointTemp": 3000, "scheduleMode": 2,
        "holdSetPointDateTime": "2018-10-03T19:00:00+00:00"}
    assert ThermostatUpdateModel.hold("0", 3000).to_api() == {
        "serialNumber": "0", "setPointTemp": 3000, "scheduleMode": 2}
    assert ThermostatUpdateModel.permanent_hold("0", 3000).to_api() == {
        "serialNumber": "0", "setPointTemp": 3000, "scheduleMode": 3}


def test_account_and_group():
    raw = {"firstName": "Ada", "lastName": "L", "email": "a@x", "use12Hour": True, "temperatureScale": "Fahrenheit"}
    account = AccountModel.from_api(raw)
    assert account.temperature_scale is TemperatureScale.FAHRENHEIT and account.use12_hour
    assert account.to_api() == raw
    group = GroupModel.from_api({"groupId": 7, "groupName": "Home", "awayMode": False, "awaySetPointTemp": 1500})
    assert group.group_id == "7"
    assert group.to_api() == {"groupId": "7", "groupName": "Home", "awayMode": False, "awaySetPointTemp": 1500}


def test_schedule_round_trip():
    raw = {"serialNumber": "1", "days": [{"weekDay": 1, "weekDayGroupNumber": 1, "events": [
        {"clock": "06:00", "scheduleType": 0, "active": True, "temperature": 2200},
        {"clock": "22:30", "scheduleType": 3, "active": False, "temperature": 1800}]}]}
    schedule = ScheduleModel.from_api(raw)
    events = schedule.days[0].events
    assert events[0].schedule_type is ScheduleType.WAKE and events[1].schedule_type is ScheduleType.SLEEP
    assert events[1].minutes == 22 * 60 + 30
    assert schedule.to_api() == raw


def test_energy_log():
    raw = {"energyUsageType": "Day", "energyUsageFrom": "2018-09-25", "energyUsageTo": "2018-09-25",
           "mondayIsFirstDay": True, "energyUsage": [
               {"entry": str(h), "minutes": 60 if h == 23 else 13 if h == 22 else 0,
                "energyKWattHour": 0.5 if h == 23 else 0, "chargeKWattHour": 6 if h == 23 else 0}
               for h in range(23, -1, -1)]}
    log = EnergyUsageModel.from_api(raw)
    assert log.total_minutes == 73 and log.total_kwh == 0.5 and log.total_charge == 6
    assert [e.entry for e in log.in_order()][:3] == ["0", "1", "2"]
    assert log.to_api() == raw
