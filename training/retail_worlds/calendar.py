"""Weeks, trading days and the seasonal demand level of the shop.

Week t runs Monday..Sunday from START + 7t. The shop trades Monday to Friday and Sunday (not Saturday,
as in the UCI log), opens on 2010-12-01 and closes from 23 December to 3 January. Demand grows through
the year and peaks in mid-November for Christmas categories (summer categories bump in June); a
product's season is normalized so that the training year's average week is 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2010-11-29")  # the Monday of the week that holds the first trading day
FIRST_DAY = pd.Timestamp("2010-12-01")
YEAR_WEEKS = 53
TRADING_WEEKDAYS = (0, 1, 2, 3, 4, 6)
WEEKDAY_WEIGHT = {0: 1.0, 1: 1.1, 2: 1.1, 3: 1.2, 4: 0.8, 6: 0.6}
GROWTH_PER_YEAR = 0.25


def week_start(t: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=7 * int(t))


def open_days(t: int) -> list[pd.Timestamp]:
    """The days of week t on which the shop trades."""
    days = []
    for d in range(7):
        day = week_start(t) + pd.Timedelta(days=d)
        closed = (day.month == 12 and day.day >= 23) or (day.month == 1 and day.day <= 3)
        if day >= FIRST_DAY and day.weekday() in TRADING_WEEKDAYS and not closed:
            days.append(day)
    return days


def shop_level(t: int) -> float:
    """Traffic of week t before the products' own seasons: open days and growth."""
    days = open_days(t)
    return sum(WEEKDAY_WEIGHT[d.weekday()] for d in days) / sum(WEEKDAY_WEIGHT.values()) * (
        1.0 + GROWTH_PER_YEAR * t / 52.0)


def _shape(t: int, christmas: np.ndarray, summer: np.ndarray) -> np.ndarray:
    mid = week_start(t) + pd.Timedelta(days=3)
    doy = mid.day_of_year
    gift = np.exp(-((doy - 318) / 26.0) ** 2) + 0.35 * np.exp(-((doy - 282) / 28.0) ** 2)
    sun = np.exp(-((doy - 172) / 35.0) ** 2)
    return 1.0 + christmas * gift + summer * sun


class Season:
    """Per-product demand level of any week, 1 on average over the training year."""

    def __init__(self, christmas: np.ndarray, summer: np.ndarray):
        self.christmas, self.summer = np.asarray(christmas), np.asarray(summer)
        raw = np.array([shop_level(t) * _shape(t, self.christmas, self.summer) for t in range(YEAR_WEEKS)])
        self.norm = raw.mean(axis=0)

    def level(self, t: int) -> np.ndarray:
        return shop_level(t) * _shape(t, self.christmas, self.summer) / self.norm
