"""The loop's weeks a year earlier: the training year's sales in the same calendar weeks.

Loop week t is the t-th week after the training year's last calendar week (the world protocol returns the world
just after its training year, docs/learning-loop.md), so its Monday is known before it sells, and the same week a
year earlier is 52 weeks before it (364 days: the same weekday, within a day of the same date). Start keeps the
training year's units and revenue per product and calendar week (start.calendar_weeks), closed weeks included.

- `category_season`: [T, P] a product's category's units in the week a year earlier over the category's mean
  weekly units in the training year's last weeks (start.units' weeks): how the season moves a product's recent
  level in each loop week (run.predicted_units). Pooled over the category because one product's week a year
  earlier is a line or two; the retail worlds' seasons are the category's (Christmas gifts, summer goods).
"""

from __future__ import annotations

import numpy as np

from .start import Start

YEAR_DAYS = 364


def loop_mondays(start: Start, weeks: int) -> np.ndarray:
    """[T] the loop weeks' Mondays (days since 1970-01-01): the weeks after the training year's last."""
    return start.week_monday[-1] + 7 * (1 + np.arange(weeks, dtype=np.int64))


def category_season(start: Start, weeks: int) -> np.ndarray:
    """[T, P] per loop week and product: its category's units in the same week a year earlier over the category's
    mean weekly units over start.units' weeks (the training year's last RECENT_WEEKS), both over the products on sale
    from the training year's start (a product launched during the year has no week a year earlier, and counting its
    recent sales only would read the launch as a season); the year-earlier weeks smoothed over three weeks (one
    category's week is a few dozen lines) except a week in which the category sold nothing (a closure stays closed).
    1 where the week a year earlier is outside the training year or the category has no such products."""
    n_groups = int(start.groups.max()) + 1
    old = start.season_listed
    by_week = np.zeros((n_groups, start.weekly_units.shape[1]))
    np.add.at(by_week, start.groups[old], start.weekly_units[old])
    padded = np.pad(by_week, ((0, 0), (1, 1)), mode="edge")
    smooth = np.where(by_week > 0, (padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]) / 3.0, 0.0)
    recent = np.bincount(start.groups[old], weights=start.units[old], minlength=n_groups)
    col = (loop_mondays(start, weeks) - YEAR_DAYS - start.week_monday[0]) // 7
    inside = (col >= 0) & (col < len(start.week_monday))
    col = np.clip(col, 0, len(start.week_monday) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(recent[:, None] > 0, smooth[:, col] / recent[:, None], 1.0)  # [G, T]
    return np.where(inside[None, :], ratio, 1.0)[start.groups].T
