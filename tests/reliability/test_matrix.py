"""The fault matrix is complete: every cell of `matrix.MATRIX` names tests that exist in this
folder (or says why the fault does not apply), and every fault-row test is in the table."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.reliability.matrix import MATRIX, VENDORS

HERE = Path(__file__).parent


def _tests_in(pattern: str) -> set[str]:
    names: set[str] = set()
    for path in HERE.glob(pattern):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
                names.add(node.name)
    return names


def test_every_cell_names_existing_tests_or_a_reason():
    existing = _tests_in("test_*.py")
    for fault, row in MATRIX.items():
        assert set(row) == set(VENDORS), f"{fault}: a vendor is missing"
        for vendor, cell in row.items():
            if isinstance(cell, str):
                assert len(cell) > 10, f"{fault} / {vendor}: say why it does not apply"
                continue
            assert cell, f"{fault} / {vendor}: no test"
            missing = [name for name in cell if name not in existing]
            assert not missing, f"{fault} / {vendor}: no such test {missing}"


def test_every_fault_row_test_is_in_the_table():
    listed = {name for row in MATRIX.values() for cell in row.values() if not isinstance(cell, str)
              for name in cell}
    unlisted = sorted(_tests_in("test_*_faults.py") - listed)
    # rows beyond the issue's list (network down, a wrong address, settings' Test button…)
    extra = {"test_ewelink_connection_cut_mid_read_is_retried",
             "test_ewelink_5xx_while_reconnecting_a_switch_is_refused_not_queued",
             "test_ewelink_faults_scripted_over_http",
             "test_ewelink_pairing_post_ap_reply_lost_device_slow_to_leave",
             "test_ewelink_pairing_post_ap_truncated_reply",
             "test_ewelink_pairing_reply_lost_then_cloud_5xx_while_watching",
             "test_ewelink_pairing_get_device_truncated_always", "test_ewelink_pairing_get_device_5xx_always",
             "test_ewelink_lan_switch_dropped_before_acting", "test_ewelink_lan_switch_no_answer_in_time",
             "test_ewelink_lan_errors_are_sitekit_errors",
             "test_nexhome_network_down_is_a_network_error", "test_nexhome_address_of_another_service",
             "test_nexhome_subscription_refused_with_404_backs_off",
             "test_nexhome_connection_test_in_settings", "test_nxcloud_connection_test_in_settings",
             "test_nuheat_5xx_at_the_token_endpoint_keeps_the_sign_in",
             "test_nuheat_slow_reply_is_bounded"}
    assert [name for name in unlisted if name not in extra] == []


def test_print_the_matrix(capsys):
    with capsys.disabled():
        print()
        for fault, row in MATRIX.items():
            print(f"{fault}")
            for vendor in VENDORS:
                cell = row[vendor]
                text = f"n/a: {cell}" if isinstance(cell, str) else f"{len(cell)} test{'s' if len(cell) > 1 else ''}"
                print(f"    {vendor:<12} {text}")
