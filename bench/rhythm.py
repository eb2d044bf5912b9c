"""When things happen in the generated helpdesk: the hourly rhythm of new tickets over the history, and
the hours agents and customers are about.

Times are whole seconds since the epoch (UTC) while generating; the rhythm is in Prague's local time
(the customers are Czech, Hungarian and British, all within an hour of it). The history's volume
grows (about twice as many tickets a day at its end as at its start), with seasons (a quiet summer,
a busy run-up to Christmas, quiet holidays), a weekly rhythm (Monday the busiest, then Tuesday; quiet
weekends) and an office-hours curve with a lunch dip and some evening traffic. Each day also gets a
little noise of its own, so no two weeks look the same.

`moment(u)` turns a quantile into a time: ticket i of n gets u = (i + r) / n with r random in [0, 1),
so creation times follow the rhythm, rise with the ticket id, and any chunk of tickets can be placed
without the others (workers generate chunks independently).
"""

from __future__ import annotations

import bisect
import random
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bench.draw import between

HOUR = 3600
DAY = 24 * HOUR
LOCAL = ZoneInfo("Europe/Prague")
# Relative volume by local hour: weekdays peak mid-morning and early afternoon with a lunch dip and
# some evening mail; weekends are flatter and later.
WEEKDAY_HOURS = (
    0.04, 0.03, 0.02, 0.02, 0.03, 0.08, 0.25, 0.60, 1.10, 1.45, 1.50, 1.35,
    0.90, 1.15, 1.30, 1.20, 1.00, 0.75, 0.50, 0.45, 0.45, 0.40, 0.25, 0.10,
)  # fmt: skip
WEEKEND_HOURS = (
    0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.10, 0.25, 0.50, 0.80, 1.00, 1.05,
    1.00, 0.95, 0.95, 0.95, 0.90, 0.90, 0.90, 0.95, 1.00, 0.90, 0.60, 0.30,
)  # fmt: skip
# Monday … Sunday.
WEEKDAYS = (1.30, 1.20, 1.05, 1.00, 0.85, 0.30, 0.25)
# January … December.
MONTHS = (0.95, 0.95, 1.00, 1.00, 1.00, 0.95, 0.80, 0.80, 1.05, 1.05, 1.15, 1.20)
# Days that are quiet whatever the weekday (Christmas, New Year), and the days between.
HOLIDAYS = {(12, 24): 0.25, (12, 25): 0.20, (12, 26): 0.25, (1, 1): 0.25}
BETWEEN_HOLIDAYS = 0.6  # 27–31 December
GROWTH = 2.0  # the last day's volume against the first's
DAY_NOISE = 0.12  # sigma of each day's log-normal factor
# Agents answer on working days, 8:00–17:00 local; customers write from 7:00 to 23:00.
OFFICE = (8, 17)
AWAKE = (7, 23)


def _normalised(curve: tuple[float, ...]) -> list[float]:
    mean = sum(curve) / len(curve)
    return [value / mean for value in curve]


class Rhythm:
    """The hourly weights of `days` days ending at `anchor` (a whole number of seconds), and when the
    agents and customers of each hour are about. Deterministic for a seed."""

    def __init__(self, anchor: int, days: int, seed: int) -> None:
        self.anchor = anchor
        self.start = anchor - days * DAY
        self.hours = days * 24
        noise = random.Random(f"linka-bench-days:{seed}")
        weekday_curve, weekend_curve = _normalised(WEEKDAY_HOURS), _normalised(WEEKEND_HOURS)
        weights: list[float] = []
        office: list[bool] = []
        awake: list[bool] = []
        day_factor, day_seen = 1.0, date.min
        for hour in range(self.hours):
            local = datetime.fromtimestamp(self.start + hour * HOUR, UTC).astimezone(LOCAL)
            today = local.date()
            if today != day_seen:
                day_seen = today
                day_factor = _day_factor(today) * noise.lognormvariate(0, DAY_NOISE)
            weekend = local.weekday() >= 5
            curve = weekend_curve if weekend else weekday_curve
            growth = GROWTH ** (hour / self.hours)
            weights.append(growth * day_factor * curve[local.hour])
            working = not weekend and (today.month, today.day) not in HOLIDAYS
            office.append(working and OFFICE[0] <= local.hour < OFFICE[1])
            awake.append(AWAKE[0] <= local.hour < AWAKE[1])
        self.weights = weights
        self.cumulative = list(_accumulate(weights))
        self.total = self.cumulative[-1]
        self.office = office
        self.next_office = _next_true(office)
        self.next_awake = _next_true(awake)

    def moment(self, quantile: float) -> int:
        """The time at this quantile of the volume (0 ≤ quantile < 1)."""
        target = quantile * self.total
        hour = min(bisect.bisect_right(self.cumulative, target), self.hours - 1)
        before = self.cumulative[hour - 1] if hour else 0.0
        within = (target - before) / self.weights[hour]
        return self.start + hour * HOUR + min(HOUR - 1, int(within * HOUR))

    def in_office(self, moment: int) -> bool:
        hour = (moment - self.start) // HOUR
        return 0 <= hour < self.hours and self.office[hour]

    def agents_at(self, moment: int, rng: random.Random) -> int:
        """`moment`, or when the office next opens (a few minutes in) if agents are not at work."""
        return self._next(moment, self.next_office, rng)

    def customers_at(self, moment: int, rng: random.Random) -> int:
        """`moment`, or the next morning if it falls in the night."""
        return self._next(moment, self.next_awake, rng)

    def _next(self, moment: int, table: list[int], rng: random.Random) -> int:
        hour = (moment - self.start) // HOUR
        if hour < 0 or hour >= self.hours:
            return moment  # after the anchor: it does not happen anyway
        found = table[hour]
        if found == hour:
            return moment
        if found >= self.hours:
            return self.anchor + HOUR  # not before the anchor
        return self.start + found * HOUR + between(rng, 60, 45 * 60)


def _day_factor(day: date) -> float:
    special = HOLIDAYS.get((day.month, day.day))
    if special is not None:
        return special
    factor = WEEKDAYS[day.weekday()] * MONTHS[day.month - 1]
    if day.month == 12 and day.day >= 27:
        factor *= BETWEEN_HOLIDAYS
    return factor


def _accumulate(values: list[float]) -> list[float]:
    total, found = 0.0, []
    for value in values:
        total += value
        found.append(total)
    return found


def _next_true(flags: list[bool]) -> list[int]:
    """For each index, the first index at or after it whose flag is set (len(flags) when none)."""
    found = [len(flags)] * len(flags)
    following = len(flags)
    for index in range(len(flags) - 1, -1, -1):
        if flags[index]:
            following = index
        found[index] = following
    return found
