"""The energy chart: periods, bars and totals against the Nuheat simulator's energy logs."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.ui.tasks import Tasks
from app.ui.thermostats.energy import (EnergyView, duration_text, elapsed_entries, has_next,
                                       money, nice_scale, period_label, period_start, step)
from app.vendors.nuheat.models import EnergyUsageEntry, EnergyUsageModel
from tests.gui.support import until

MONDAY = date(2026, 11, 23)


def test_periods_step_and_label() -> None:
    assert step("day", MONDAY, -1) == date(2026, 11, 22)
    assert step("week", date(2026, 11, 25), -1) == date(2026, 11, 16)  # from any weekday
    assert step("month", date(2026, 5, 9), 1) == date(2027, 1, 1)
    assert period_start("week", date(2026, 11, 29)) == MONDAY
    assert period_label("day", MONDAY, today=MONDAY) == "Today, 23 Nov 2026"
    assert period_label("week", date(2026, 11, 30), today=MONDAY) == "30 Nov – 6 Dec 2026"
    assert period_label("week", MONDAY, today=MONDAY) == "23 – 29 Nov 2026"
    assert period_label("month", MONDAY) == "2026"
    assert not has_next("day", MONDAY, today=MONDAY)
    assert has_next("week", date(2026, 11, 16), today=MONDAY)
    assert not has_next("month", MONDAY, today=MONDAY)


def test_figures_in_words() -> None:
    assert duration_text(380) == "6 h 20 min"
    assert duration_text(45) == "45 min"
    assert duration_text(60 * 2424 + 58) == "2,425 h"
    assert money(180) == "1.80"
    assert nice_scale(1.66) == (2.0, 5, 1)
    assert nice_scale(413) == (500.0, 6, 0)
    assert nice_scale(0) == (1.0, 6, 1)
    now = datetime(2026, 11, 23, 12, 5)
    assert elapsed_entries("day", MONDAY, 24, now) == 13
    assert elapsed_entries("week", MONDAY, 7, now) == 1
    assert elapsed_entries("month", MONDAY, 12, now) == 11
    assert elapsed_entries("day", date(2026, 11, 20), 24, now) == 24


def _usage(kind: str, entries: list[tuple[str, int, float, float]]) -> EnergyUsageModel:
    return EnergyUsageModel(kind, energy_usage=[EnergyUsageEntry(*e) for e in entries])


def test_without_rates_the_bars_are_heating_time(qtbot) -> None:
    view = EnergyView(Tasks())
    qtbot.addWidget(view)
    view.serial, view.view = "1", "week"
    view.show_usage(_usage("Week", [(str(d), 60 * d, 0.0, 0.0) for d in range(1, 8)]))
    assert view.bar_values == [float(d) for d in range(1, 8)]  # hours
    assert not view.has_cost_series
    assert view.totals_text() == "28 h heating"
    assert "no electricity rate" in view.totals_note.text()


def test_a_period_without_heating_says_so(qtbot) -> None:
    view = EnergyView(Tasks())
    qtbot.addWidget(view)
    view.serial, view.view = "1", "day"
    view.show_usage(_usage("Day", [(str(h), 0, 0.0, 0.0) for h in range(24)]))
    assert view.stack.currentWidget() is view.empty
    assert view.empty_title.text() == "No heating recorded this day"
    assert view.totals_text() == ""


@pytest.fixture
async def energy_client(demo_ws):
    return await demo_ws.nuheat.ensure_signed_in()


def _loader(client):
    async def load(serial: str, view: str, when: date) -> EnergyUsageModel:
        if view == "day":
            return await client.energy_day(serial, when)
        if view == "week":
            return await client.energy_week(serial, when)
        return await client.energy_month(serial, when.year)
    return load


async def test_day_week_year_bars_and_totals_match_the_api(qtbot, demo_ws, energy_client) -> None:
    serial = demo_ws.demo_site.nuheat.demo_serials()[0]
    view = EnergyView(Tasks())
    qtbot.addWidget(view)
    view.resize(620, 360)
    view.show()
    view.set_loader(_loader(energy_client))
    view.show_thermostat(serial)
    expected_bars = {"day": 24, "week": 7, "month": 12}
    for name in ("day", "week", "month"):
        view.set_view(name)
        view.go(-1)  # a whole past period: every bar has data
        await until(lambda: not view.loading and view.figures is not None, 10, f"the {name} log")
        when = view.when
        usage = await _loader(energy_client)(serial, name, when)
        assert len(view.bar_values) == expected_bars[name]
        assert view.bar_values == pytest.approx([e.energy_k_watt_hour for e in usage.in_order()])
        assert view.has_cost_series  # the demo account has a rate
        assert view.totals_text() == (f"{usage.total_kwh:,.1f} kWh · cost "
                                      f"{usage.total_charge / 100:,.2f} · "
                                      f"{duration_text(usage.total_minutes)} heating")
        assert usage.total_kwh > 0
        entry = usage.in_order()[3]
        tip = view.bar_tip(3).splitlines()
        if name == "day":
            assert tip[0] == "03:00–04:00"
        elif name == "week":
            assert tip[0].startswith("Thu ")
        else:
            assert tip[0] == f"April {when.year}"
        assert tip[1:] == [f"{entry.energy_k_watt_hour:,.2f} kWh",
                           f"cost {entry.charge_k_watt_hour / 100:,.2f}",
                           f"{duration_text(entry.minutes)} heating"]


async def test_a_newer_period_wins_over_a_slow_older_one(qtbot, demo_ws, energy_client) -> None:
    serial = demo_ws.demo_site.nuheat.demo_serials()[1]
    view = EnergyView(Tasks())
    qtbot.addWidget(view)
    view.set_loader(_loader(energy_client))
    view.view = "week"
    view.show_thermostat(serial)
    view.go(-1)
    view.go(-1)  # three loads in flight; only the last may be drawn
    await until(lambda: not view.loading, 10, "the week log")
    usage = await _loader(energy_client)(serial, "week", view.when)
    assert view.when == period_start("week", date.today()) - (date(2026, 1, 15) - date(2026, 1, 1))
    assert view.bar_values == pytest.approx([e.energy_k_watt_hour for e in usage.in_order()])
