"""The pairing state machine itself, driven by small fake step functions.

The eWeLink steps (HTTP to the device and the cloud) are tested against the simulators in
tests/integration/test_pairing.py; here only the machinery and the pure decisions.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from app.core import network
from app.core.errors import AuthError, CommandTimeout, NetworkError
from app.core.network import Gateway, InterfaceAddress, NetworkView
from app.vendors.ewelink.pairing import (STEP_TITLES, STEPS, EwelinkPairing, PairingMemo,
                                         PairingPlan, PairingTimeouts, locate_device)
from app.vendors.ewelink.ap_device import normalise_url
from app.vendors.ewelink.pairing_steps import (CANCELLED, DONE, FAILED, PENDING, RUNNING,
                                               SKIPPED, WARNING, FlowFailed, Step, StepFailure,
                                               StepOutcome, StepRunner)


def make_step(name, fn, timeout=1.0, **kwargs):
    return Step(name, name.title(), fn, timeout, **kwargs)


async def done(run):
    return "ok"


class Recorder:
    def __init__(self):
        self.snapshots = []

    def __call__(self, progress):
        self.snapshots.append(progress)

    def statuses(self, name):
        out = []
        for p in self.snapshots:
            status = p.step(name).status
            if not out or out[-1] != status:
                out.append(status)
        return out


async def test_steps_run_in_order_and_report_each_change():
    seen = Recorder()
    order = []

    def step(name, outcome):
        async def fn(run):
            order.append(name)
            return outcome
        return make_step(name, fn)

    runner = StepRunner([step("a", "first done"), step("b", StepOutcome(SKIPPED, "not needed")),
                         step("c", StepOutcome(WARNING, "careful", "do this")),
                         step("d", None)], seen)
    await runner.run()
    assert order == ["a", "b", "c", "d"] and runner.status == "done"
    assert [(s.status, s.message) for s in runner.states] == [
        (DONE, "first done"), (SKIPPED, "not needed"), (WARNING, "careful"), (DONE, "")]
    assert runner.states[2].hint == "do this"
    assert seen.statuses("a") == [PENDING, RUNNING, DONE]
    assert seen.snapshots[0].status == "running" and seen.snapshots[-1].status == "done"
    assert seen.snapshots[-1].current is None


async def test_progress_snapshots_are_copies():
    seen = Recorder()
    runner = StepRunner([make_step("a", done)], seen)
    await runner.run()
    first = seen.snapshots[0]
    assert first.step("a").status == PENDING  # not mutated afterwards


async def test_a_failure_stops_the_flow_with_cause_and_fix():
    later = []

    async def broken(run):
        raise StepFailure("The device refused it.", hint="Fix the name.")

    async def after(run):
        later.append(1)

    seen = Recorder()
    runner = StepRunner([make_step("a", done), make_step("b", broken), make_step("c", after)], seen)
    with pytest.raises(FlowFailed) as info:
        await runner.run()
    assert info.value.step == "b"
    assert info.value.message == "The device refused it." and info.value.hint == "Fix the name."
    assert [s.status for s in runner.states] == [DONE, FAILED, PENDING]
    assert runner.status == "failed" and later == []
    assert seen.snapshots[-1].status == "failed"
    assert seen.snapshots[-1].step("b").hint == "Fix the name."


async def test_retryable_errors_are_retried_within_the_attempts():
    calls = []

    async def flaky(run):
        calls.append(run.attempt)
        if run.attempt == 1:
            raise NetworkError("No route.", hint="x")
        if run.attempt == 2:
            raise StepFailure("Busy.", retry=True)
        if run.attempt == 3:
            raise CommandTimeout("Slow.")
        return "third time lucky"

    seen = Recorder()
    runner = StepRunner([make_step("a", flaky, attempts=4, retry_delay=0.01)], seen)
    await runner.run()
    assert calls == [1, 2, 3, 4]
    assert runner.states[0].status == DONE and runner.states[0].attempts == 4
    messages = [p.step("a").message for p in seen.snapshots]
    assert any("No route. Trying again (attempt 2 of 4)" in m for m in messages)


async def test_unlimited_attempts_stop_at_the_deadline_with_the_timeout_message():
    async def never(run):
        raise StepFailure("not yet", retry=True)

    def on_timeout(last):
        assert isinstance(last, StepFailure) and last.message == "not yet"
        return StepFailure("The device did not answer at 10.10.7.1: is the laptop still on "
                           "the ITEAD hotspot?", hint="Rejoin it.")

    start = time.monotonic()
    runner = StepRunner([make_step("read", never, timeout=0.2, attempts=None, retry_delay=0.02,
                                   on_timeout=on_timeout)])
    with pytest.raises(FlowFailed) as info:
        await runner.run()
    assert 0.15 < time.monotonic() - start < 1.0
    assert "10.10.7.1" in info.value.message and info.value.hint == "Rejoin it."
    assert runner.states[0].attempts > 3


async def test_attempts_run_out_before_the_deadline():
    async def refused(run):
        raise NetworkError("Refused.", hint="Plug it in.")

    runner = StepRunner([make_step("a", refused, attempts=2, retry_delay=0.01)])
    with pytest.raises(FlowFailed) as info:
        await runner.run()
    assert info.value.message == "Refused." and info.value.hint == "Plug it in."
    assert runner.states[0].attempts == 2


async def test_non_retryable_failures_are_not_retried():
    calls = []

    async def refused(run):
        calls.append(1)
        raise StepFailure("Wrong password.")

    runner = StepRunner([make_step("a", refused, attempts=5, retry_delay=0.01)])
    with pytest.raises(FlowFailed):
        await runner.run()
    assert calls == [1]


async def test_other_sitekit_errors_fail_with_their_message():
    async def signed_out(run):
        raise AuthError("eWeLink", 401, message="Not signed in.", hint="Sign in.")

    runner = StepRunner([make_step("a", signed_out, attempts=3)])
    with pytest.raises(FlowFailed) as info:
        await runner.run()
    assert "Not signed in." in info.value.message and info.value.hint == "Sign in."


async def test_a_hanging_step_times_out_with_a_default_message():
    async def hang(run):
        await asyncio.sleep(10)

    runner = StepRunner([make_step("slow", hang, timeout=0.05)])
    with pytest.raises(FlowFailed) as info:
        await runner.run()
    assert "no result within 0.05 s" in info.value.message
    assert runner.states[0].status == FAILED


async def test_an_optional_step_that_times_out_is_a_warning_and_the_flow_finishes():
    async def hang(run):
        await asyncio.sleep(10)

    runner = StepRunner([make_step("a", done),
                         make_step("lan", hang, timeout=0.05, optional=True,
                                   on_timeout=lambda last: StepFailure("Not on the LAN.",
                                                                       hint="Cloud works."))])
    await runner.run()
    assert runner.status == "done"
    assert (runner.states[1].status, runner.states[1].message, runner.states[1].hint) == (
        WARNING, "Not on the LAN.", "Cloud works.")


async def test_a_step_own_timeout_error_is_retried_not_taken_for_the_deadline():
    async def slow_request(run):
        if run.attempt == 1:
            raise asyncio.TimeoutError
        return "answered"

    runner = StepRunner([make_step("a", slow_request, attempts=2, retry_delay=0.01)])
    await runner.run()
    assert runner.states[0].status == DONE


async def test_a_crash_is_reported_as_a_bug():
    async def crash(run):
        raise KeyError("deviceid")

    runner = StepRunner([make_step("a", crash)])
    with pytest.raises(FlowFailed) as info:
        await runner.run()
    assert "KeyError" in info.value.message and "bug" in info.value.hint


async def test_cancelling_marks_the_running_step_and_lets_the_cancel_through():
    started = asyncio.Event()

    async def wait_forever(run):
        run.cancel_note = "Cancelled while waiting for the cloud."
        started.set()
        await asyncio.sleep(10)

    seen = Recorder()
    runner = StepRunner([make_step("a", done), make_step("b", wait_forever, timeout=30),
                         make_step("c", done)], seen)
    task = asyncio.create_task(runner.run())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [s.status for s in runner.states] == [DONE, CANCELLED, PENDING]
    assert runner.states[1].message == "Cancelled while waiting for the cloud."
    assert runner.status == "cancelled" and seen.snapshots[-1].status == "cancelled"


async def test_cancelling_without_a_note_says_cancelled():
    started = asyncio.Event()

    async def wait_forever(run):
        started.set()
        await asyncio.sleep(10)

    runner = StepRunner([make_step("a", wait_forever)])
    task = asyncio.create_task(runner.run())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runner.states[0].message == "Cancelled."


async def test_each_step_has_a_timeout_and_a_deadline_for_countdowns():
    lefts = []

    async def look(run):
        lefts.append((run.state.seconds_left(), run.seconds_left()))
        run.say("half way")
        return "ok"

    seen = Recorder()
    runner = StepRunner([make_step("a", look, timeout=30)], seen)
    assert runner.states[0].timeout == 30 and runner.states[0].deadline is None
    await runner.run()
    assert 29 < lefts[0][0] <= 30 and 29 < lefts[0][1] <= 30
    assert runner.states[0].deadline is not None
    assert runner.states[0].seconds_left() is None  # not running any more
    assert any(p.step("a").message == "half way" for p in seen.snapshots)


async def test_a_broken_progress_callback_does_not_break_the_flow():
    def explode(progress):
        raise RuntimeError("display gone")

    runner = StepRunner([make_step("a", done)], explode)
    await runner.run()
    assert runner.status == "done"


# -- eWeLink flow: pure pieces ------------------------------------------------------------

PLAN = PairingPlan(device_url=None, ssid="SiteKit-Demo", password="secret-pw", name="Lamp",
                   server_name="eu-disp.coolkit.cc", server_port=443)


def view(gateway=None, *addresses):
    return NetworkView(gateway=gateway, addresses=tuple(addresses), source="test")


def test_the_flow_has_the_fixed_step_names_and_timeouts():
    timeouts = PairingTimeouts(read=7, wait_cloud=9)
    pairing = EwelinkPairing(PLAN, session=None, cloud=None, timeouts=timeouts)
    assert [s.name for s in pairing.steps] == list(STEPS) == [
        "find", "read", "check_wifi", "send_wifi", "rejoin", "add", "wait_cloud", "wait_lan"]
    assert [s.title for s in pairing.steps] == [STEP_TITLES[n] for n in STEPS]
    assert pairing.steps[1].timeout == 7 and pairing.steps[6].timeout == 9
    assert all(s.status == PENDING for s in pairing.steps) and pairing.status == "idle"


def test_secrets_stay_out_of_reprs():
    assert "secret-pw" not in repr(PLAN)
    memo = PairingMemo("http://10.10.7.1", "1000000001", "device-key-uuid", "chip", True)
    assert "device-key-uuid" not in repr(memo)


def test_memo_round_trips_through_json_and_tolerates_junk():
    memo = PairingMemo("http://10.10.7.1", "1000000001", "key", "chip", wifi_sent=True)
    assert PairingMemo.from_json(memo.to_json()) == memo
    assert PairingMemo.from_json(None) is None
    assert PairingMemo.from_json("not json") is None
    assert PairingMemo.from_json('{"unexpected": 1}') is None


def test_on_the_hotspot_the_gateway_is_used():
    url, outcome = locate_device(view(Gateway("10.10.7.1", "wlan0"),
                                      InterfaceAddress("wlan0", "10.10.7.2", "255.255.255.0")))
    assert url == "http://10.10.7.1" and outcome.status == DONE
    assert "wlan0" in outcome.message


def test_hotspot_on_another_adapter_is_a_warning_naming_it():
    url, outcome = locate_device(view(Gateway("192.168.1.1", "eth0"),
                                      InterfaceAddress("wlan1", "10.10.7.4", "255.255.255.0")))
    assert url == f"http://{network.HOTSPOT_GATEWAY}" and outcome.status == WARNING
    assert "wlan1" in outcome.message and "eth0" in outcome.message


def test_not_on_a_hotspot_fails_naming_the_gateway_and_the_fix():
    with pytest.raises(StepFailure) as info:
        locate_device(view(Gateway("192.168.1.1", "eth0")))
    assert "192.168.1.1" in info.value.message and "ITEAD" in info.value.hint


def test_no_network_fails_with_the_fix():
    with pytest.raises(StepFailure) as info:
        locate_device(view())
    assert "not connected" in info.value.message and "12345678" in info.value.hint


def test_off_the_hotspot_a_previous_send_continues():
    memo = PairingMemo("http://10.10.7.1", "1000000009", "key", wifi_sent=True)
    url, outcome = locate_device(view(Gateway("192.168.1.1", "eth0")), memo)
    assert url == "http://10.10.7.1" and "1000000009" in outcome.message
    # ...but not when the details never reached the device
    with pytest.raises(StepFailure):
        locate_device(view(Gateway("192.168.1.1", "eth0")),
                      PairingMemo("http://10.10.7.1", "1000000009", "key", wifi_sent=False))


@pytest.mark.parametrize("given, url", [("10.10.7.1", "http://10.10.7.1"),
                                        ("http://10.10.7.1/", "http://10.10.7.1"),
                                        (" http://127.0.0.1:8080/device ", "http://127.0.0.1:8080")])
def test_device_urls_are_normalised(given, url):
    assert normalise_url(given) == url


def test_a_nonsense_url_fails():
    with pytest.raises(StepFailure):
        normalise_url("http://")


async def test_find_with_an_injected_network_and_no_hotspot_fails_first_step():
    def snapshot():
        return view(Gateway("192.168.1.1", "eth0"))

    pairing = EwelinkPairing(PLAN, session=None, cloud=None, network_snapshot=snapshot)
    seen = Recorder()
    with pytest.raises(FlowFailed) as info:
        await pairing.run(seen)
    assert info.value.step == "find"
    assert [s.status for s in pairing.steps][:2] == [FAILED, PENDING]
    assert pairing.status == "failed"


async def test_a_run_runs_once():
    pairing = EwelinkPairing(PLAN, session=None, cloud=None,
                             network_snapshot=lambda: view())
    with pytest.raises(FlowFailed):
        await pairing.run()
    with pytest.raises(RuntimeError):
        await pairing.run()
