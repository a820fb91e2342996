"""The weekly update's check of its replay against the plans the service recorded (loop/plan_assignments.py): which
plan was in force each week, what differs by week and product, what it prints and when it refuses."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pricing_training.loop import plan_assignments as pa
from pricing_training.loop.ledger_source import ASSIGNMENT_COLUMNS

W1, W2, W3, W4, NEXT = (dt.date(2011, 1, 3) + dt.timedelta(weeks=k) for k in range(5))


def _plan(week: dt.date, plan_id: str, *tests: tuple) -> pa.WeekPlan:
    return pa.WeekPlan(week, plan_id, pd.DataFrame(list(tests), columns=pa.COLUMNS).sort_values("stockcode",
                                                                                                 ignore_index=True))


def _rows(week: dt.date, plan_id: str, recorded_at: str, *tests: tuple) -> list[tuple]:
    return [(plan_id, code, week.isoformat(), price, arm, p, recorded_at) for code, price, arm, p in tests]


A = ("10001", 2.75, "high", 0.3333)
B = ("10002", 1.15, "low", 0.5)
REPLAYED = [_plan(W1, "2011-W01-aaaaaa", A, B), _plan(W2, "2011-W02-bbbbbb", A), _plan(W3, "2011-W03-cccccc", B),
            _plan(W4, "2011-W04-dddddd", A)]
PLANNED = _plan(NEXT, "2011-W05-eeeeee", B)


def _recorded(*groups: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([r for g in groups for r in g], columns=ASSIGNMENT_COLUMNS)


def test_weeks_recorded_as_replayed_agree_and_the_others_are_listed_by_week_and_product():
    recorded = _recorded(
        _rows(W1, "2011-W01-aaaaaa", "2010-12-31T09:00:00Z", A, ("10002", 1.25, "low", 0.5)),  # B's price differs
        _rows(W2, "2011-W02-bbbbbb", "2011-01-09T09:00:00Z", A, ("10003", 4.0, "current", 1.0)),  # one more test
        # W3: nothing recorded (the service ran no plan that week)
        _rows(W4, "2011-W04-old000", "2011-01-23T09:00:00Z", A),  # replaced within the week by the replay's plan
        _rows(W4, "2011-W04-dddddd", "2011-01-24T07:00:00Z", A),
        _rows(NEXT, "2011-W05-eeeeee", "2011-01-30T09:00:00Z", B))
    check = pa.cross_check(REPLAYED, PLANNED, recorded)
    assert check.read and check.recorded == [W1, W2, W4] and check.unrecorded == [W3]
    assert check.other_plans.empty
    assert check.replaced.to_dict("records") == [{"week_start": W4, "plan_id": "2011-W04-old000"}]
    assert check.differences[["week_start", "stockcode", "field"]].values.tolist() == [
        [W1, "10002", "price"], [W2, "10003", "not in the replay"]]
    assert check.planned_recorded == "2011-W05-eeeeee"
    printed = pa.describe(check)
    assert printed == [
        "assignments: the service recorded the plan of 3 of 4 replayed week(s); 3 of them the replay's own",
        "weeks with no plan recorded (the service served none, or recorded into another ledger): 2011-01-17",
        "week 2011-01-24: plan(s) 2011-W04-old000 recorded first, then replaced within the week",
        "week 2011-01-03: 1 assignment(s) recorded otherwise than replayed: 10002 price recorded 1.25 replayed 1.15",
        "week 2011-01-10: 1 assignment(s) recorded otherwise than replayed: 10003 recorded current 4.00, not in the replay",
        "week 2011-01-31 (planned): the ledger already records this very plan",
    ]


def test_a_week_served_under_another_plan_is_named_in_the_refusal():
    recorded = _recorded(_rows(W1, "2011-W01-aaaaaa", "2010-12-31T09:00:00Z", A, B),
                         _rows(W2, "2011-W02-zzzzzz", "2011-01-09T09:00:00Z", B),  # another plan, another product
                         _rows(NEXT, "2011-W05-old000", "2011-01-30T09:00:00Z", B))
    check = pa.cross_check(REPLAYED, PLANNED, recorded)
    assert check.other_plans.to_dict("records") == [
        {"week_start": W2, "recorded": "2011-W02-zzzzzz", "replayed": "2011-W02-bbbbbb"}]
    # The products are compared under the plan that was in force, whatever its id.
    assert check.differences[["stockcode", "field"]].values.tolist() == [["10001", "not recorded"],
                                                                         ["10002", "not in the replay"]]
    printed = pa.describe(check)
    assert "week 2011-01-10: the service served plan 2011-W02-zzzzzz, the replay makes plan 2011-W02-bbbbbb" in printed
    assert printed[-1] == ("week 2011-01-31 (planned): the ledger already records plan 2011-W05-old000; this plan "
                           "replaces it once served")
    message = pa.refusal(check, "ledger.sqlite")
    assert message.startswith("ledger.sqlite: the service served other plans than the replay makes in 1 week(s): "
                              "week 2011-01-10 served 2011-W02-zzzzzz, replayed 2011-W02-bbbbbb.")
    assert "--accept-other-plans" in message


def test_a_ledger_without_assignments_or_with_none_yet():
    check = pa.cross_check(REPLAYED, PLANNED, None)
    assert not check.read and pa.describe(check)[0].startswith("assignments: the ledger has no `assignments` table")
    empty = pa.cross_check(REPLAYED, PLANNED, _recorded())
    assert empty.read and empty.recorded == [] and empty.unrecorded == [W1, W2, W3, W4]
    assert pa.describe(empty)[:2] == [
        "assignments: the service recorded the plan of 0 of 4 replayed week(s); 0 of them the replay's own",
        "weeks with no plan recorded (the service served none, or recorded into another ledger): 2011-01-03, "
        "2011-01-10, 2011-01-17, 2011-01-24"]


def test_a_plan_document_gives_the_rows_the_service_records():
    doc = {"plan_id": "2011-W05-eeeeee", "week_start": NEXT.isoformat(), "holdout": {"products": 0}, "tests": [
        {"stockcode": "10002", "status": "testing", "price_this_week": 1.15, "arm_this_week": "low",
         "assignment_probability": 0.5},
        {"stockcode": "10001", "status": "committed", "price_this_week": 2.9, "arm_this_week": "committed",
         "assignment_probability": 1.0},
        {"stockcode": "10000", "status": "stopped", "price_this_week": 3.0, "arm_this_week": "current",
         "assignment_probability": 1.0}]}
    assert pa.from_document(doc).matches(PLANNED)
    assert not pa.from_document(dict(doc, plan_id="other")).matches(PLANNED)


H = ("10004", 3.5, "holdout", 0.2)


def test_holdout_members_are_rows_of_the_plan_and_compared_like_tests():
    doc = {"plan_id": "2011-W05-eeeeee", "week_start": NEXT.isoformat(), "tests": [
        {"stockcode": "10002", "status": "testing", "price_this_week": 1.15, "arm_this_week": "low",
         "assignment_probability": 0.5}],
        "holdout": {"products": 1, "members": [{"stockcode": "10004", "price_this_week": 3.5,
                                                "assignment_probability": 0.2, "assigned_week": W2.isoformat()}]}}
    planned = _plan(NEXT, "2011-W05-eeeeee", B, H)
    assert pa.from_document(doc).matches(planned)
    assert not pa.from_document(doc).matches(PLANNED), "a holdout member is a row: without it the plan differs"
    replayed = [_plan(W1, "2011-W01-aaaaaa", A, H), _plan(W2, "2011-W02-bbbbbb", A, H)]
    recorded = _recorded(_rows(W1, "2011-W01-aaaaaa", "2010-12-31T09:00:00Z", A, ("10004", 3.5, "holdout", 0.25)),
                         _rows(W2, "2011-W02-bbbbbb", "2011-01-09T09:00:00Z", A, H))
    check = pa.cross_check(replayed, planned, recorded)
    assert check.without_holdout == [] and check.other_plans.empty
    assert check.differences[["week_start", "stockcode", "field"]].values.tolist() == [[W1, "10004", "probability"]]
    assert "week 2011-01-03: 1 assignment(s) recorded otherwise than replayed: 10004 probability recorded 0.25 " \
           "replayed 0.2" in pa.describe(check)


def test_a_week_recorded_before_holdouts_were_recorded_is_compared_on_its_tests():
    replayed = [_plan(W1, "2011-W01-aaaaaa", A, H), _plan(W2, "2011-W02-bbbbbb", A, H)]
    # W1 recorded by an older service: the tests only. W2 recorded with its holdout, but another test's price.
    recorded = _recorded(_rows(W1, "2011-W01-aaaaaa", "2010-12-31T09:00:00Z", A),
                         _rows(W2, "2011-W02-bbbbbb", "2011-01-09T09:00:00Z", ("10001", 2.5, "high", 0.3333), H))
    check = pa.cross_check(replayed, PLANNED, recorded)
    assert check.without_holdout == [W1] and check.other_plans.empty
    assert check.differences[["week_start", "stockcode", "field"]].values.tolist() == [[W2, "10001", "price"]]
    printed = pa.describe(check)
    assert ("weeks recorded without their holdout (by a service or from a plan older than holdout recording; their "
            "tests were compared): 2011-01-03") in printed
    # A week recorded with a holdout that lacks one of the replay's members reports it, product by product.
    other = _recorded(_rows(W1, "2011-W01-aaaaaa", "2010-12-31T09:00:00Z", A, ("10005", 2.0, "holdout", 0.2)))
    check = pa.cross_check(replayed[:1], PLANNED, other)
    assert check.without_holdout == []
    assert check.differences[["stockcode", "field"]].values.tolist() == [["10004", "not recorded"],
                                                                         ["10005", "not in the replay"]]
