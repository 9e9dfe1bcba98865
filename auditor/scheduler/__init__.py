"""The long-running scheduler behind `ppid-audit schedule`, on the `schedule` package.

Two daily jobs: the nightly scan of every site (`schedule.nightly_scan`) and, at `schedule.report_time`,
delivery of whatever report is due (monthly on `monthly_report_day` for the previous month, six-monthly on
`semiannual_report_days` for the previous half). Which report periods were delivered lives in a small
JSON state file next to the database, so a report missed while the machine was off is made exactly once
at the next start, and never twice.

Time comes from an injectable `Clock` (naive local wall time, like `datetime.now()`). The `schedule`
package calls `datetime.datetime.now()` itself, so while this scheduler is inside that package the
package's `datetime` name is swapped for a shim bound to the clock (`schedule_clock`); nothing else in the
process sees it. Tests drive half a year through `SimulatedClock` in seconds.
"""

from auditor.scheduler.core import Planned, Scheduler
from auditor.scheduler.state import State, state_path, var_dir
from auditor.scheduler.timing import (
    REPORT_KINDS,
    Clock,
    Due,
    Shutdown,
    SimulatedClock,
    SystemClock,
    last_scan_time,
    latest_due,
    report_due_on,
    report_dues_between,
    schedule_clock,
)

__all__ = ["REPORT_KINDS", "Clock", "Due", "Planned", "Scheduler", "Shutdown", "SimulatedClock", "State",
           "SystemClock", "last_scan_time", "latest_due", "report_due_on", "report_dues_between",
           "schedule_clock", "state_path", "var_dir"]
