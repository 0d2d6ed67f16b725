"""The sign-in flow's rules, without Qt."""

from __future__ import annotations

import pytest

from app.ui.onboarding.flow import DONE, SIGN_IN, WELCOME, OnboardingFlow, validate


@pytest.mark.parametrize("account", ["demo@sitekit.example", "+8613800000001", "+44 7700 900123"])
def test_valid_accounts(account):
    assert validate("eu", account, "pw") == {}


@pytest.mark.parametrize("account, fragment", [
    ("", "Enter the account"),
    ("bob", "country code"),
    ("07700900123", "country code"),  # a phone number without +country code
    ("bob@", "email address"),
])
def test_invalid_accounts(account, fragment):
    assert fragment in validate("eu", account, "pw")["account"]


def test_missing_password_and_unknown_region():
    errors = validate("xx", "demo@sitekit.example", "")
    assert set(errors) == {"region", "password"}


def test_welcome_then_sign_in_then_back():
    flow = OnboardingFlow()
    changes = []
    flow.on_change(lambda: changes.append(flow.step))
    flow.start(welcome=True, region="us", account="me@example.com")
    assert flow.step == WELCOME and flow.region == "us" and flow.account == "me@example.com"
    flow.go("sign_in")
    assert flow.step == SIGN_IN and flow.can_go_back
    flow.go("back")
    assert flow.step == WELCOME
    assert changes == [WELCOME, SIGN_IN, WELCOME]


def test_no_back_without_a_welcome_page():
    flow = OnboardingFlow()
    flow.start(welcome=False)
    assert not flow.can_go_back
    with pytest.raises(ValueError):
        flow.go("back")


def test_field_errors_show_only_once_touched():
    flow = OnboardingFlow()
    flow.start(welcome=False)
    flow.set_field("account", "bob")
    assert "account" in flow.field_errors
    assert flow.visible_field_errors == {}
    flow.touch("account")
    assert "account" in flow.visible_field_errors


def test_submit_invalid_shows_every_problem_and_sends_nothing():
    flow = OnboardingFlow()
    flow.start(welcome=False)
    assert flow.submit() is None
    assert set(flow.visible_field_errors) == {"account", "password"}
    assert not flow.busy


def test_submit_busy_failed_then_succeeded():
    flow = OnboardingFlow()
    flow.start(welcome=False, credentials=("eu", "demo@sitekit.example", "sitekit-demo"))
    assert flow.prefilled and flow.can_submit
    assert flow.submit() == ("eu", "demo@sitekit.example", "sitekit-demo")
    assert flow.busy and not flow.can_submit and not flow.can_go_back
    assert flow.submit() is None  # a second click while busy sends nothing
    flow.failed("eWeLink error 401: Wrong email/phone or password.")
    assert not flow.busy and "Wrong" in flow.error and flow.can_submit
    flow.submit()
    assert flow.error == ""  # a new attempt clears the old message
    flow.succeeded()
    assert flow.step == DONE and flow.password == "" and not flow.busy
