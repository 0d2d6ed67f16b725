"""First run and eWeLink sign-in (flow.py holds the Qt-free logic)."""
