"""The seasonal forecast on synthetic series whose season is known: it finds the peak, its
interval holds about what it says in a rolling back-test, and it beats (or matches) the
seasonal-naive baseline."""

from __future__ import annotations

import numpy as np
import pytest

from analytics import forecast as fc

#: Monthly hazard counts: quiet winter, a July peak (+12) with a high June and August.
PROFILE = np.array([-6, -5, -2, 0, 2, 5, 12, 8, 2, -1, -3, -6], dtype=float)


def monthly(years: int = 4, *, seed: int = 7, noise: float = 2.0, slope: float = 0.0):
    rng = np.random.default_rng(seed)
    t = np.arange(12 * years)
    y = 30 + slope * t + PROFILE[t % 12] + rng.normal(0, noise, len(t))
    return np.clip(np.round(y), 0, None)


def test_recovers_the_season() -> None:
    y = monthly()
    f = fc.forecast(y, 12, 12)

    assert f.season == 12
    assert int(np.argmax(f.point)) == 6, "July, as in the profile"
    assert int(np.argmin(f.point)) in (0, 11), "winter is the low"
    season = f.point - f.point.mean()
    assert np.abs(season - PROFILE).max() < 3, "the shape, within the noise"
    assert np.all(f.lower <= f.point) and np.all(f.point <= f.upper)
    assert np.all(np.diff(f.upper - f.lower) >= -1e-9), "uncertainty grows with the horizon"


def test_backtest_is_honest_and_beats_the_baseline() -> None:
    coverage, model, naive = [], [], []
    for seed in range(10):
        bt = fc.backtest(monthly(seed=seed), 12, 3)
        assert bt.folds == 6 and bt.points == 18
        coverage.append(bt.coverage)
        model.append(bt.mae)
        naive.append(bt.naive_mae)
    assert 0.8 <= np.mean(coverage) <= 1.0, "a 90 % interval holds about 90 %"
    assert np.mean(model) < np.mean(naive), "better than repeating last year"
    assert np.mean(model) < 2.5, "about the noise's own size (σ = 2, MAE ≈ 1.6)"


def test_backtest_reports_mape_and_copes_with_short_history() -> None:
    bt = fc.backtest(monthly(), 12, 3)
    assert bt.mape is not None and 0 < bt.mape < 15
    assert bt.naive_mape is not None

    short = fc.backtest([1, 2, 3], 12, 3)
    assert short.folds == 0 and short.mae is None and short.coverage is None


def test_trend_is_followed_but_damped() -> None:
    y = monthly(slope=0.5)
    f = fc.forecast(y, 12, 12)
    assert f.point.mean() > y[-12:].mean(), "still rising"
    assert f.point.mean() < y[-12:].mean() + 0.5 * 12 * 1.5, "no runaway slope"


def test_short_series_claims_no_season() -> None:
    f = fc.forecast(monthly(years=1), 12, 6)
    assert f.season == 1
    assert np.all(f.upper > f.lower)


@pytest.mark.parametrize("values", [[], [4], [0, 0, 0, 0, 0, 0]])
def test_degenerate_inputs(values: list[float]) -> None:
    f = fc.forecast(values, 12, 3)
    assert len(f.point) == 3 and np.all(f.lower >= 0)


def test_above_normal_marks_the_peak_months() -> None:
    y = monthly()
    f = fc.forecast(y, 12, 12)
    marked = np.flatnonzero(fc.above_normal(y, f))
    assert 6 in marked and 7 in marked
    assert not {0, 1, 10, 11} & set(marked.tolist())


def test_seasonal_peaks_finds_the_summer_run_and_wraps() -> None:
    y = monthly()
    months = np.arange(len(y)) % 12
    assert fc.seasonal_peaks(months, y, 12) == [(6, 7)], "July–August (June is +17 %, not 20)"

    winter = np.roll(y, 5)  # the same peak moved to December–January
    assert fc.seasonal_peaks(months, winter, 12) == [(11, 0)], "a run across the year's end"
    assert fc.seasonal_peaks(months[:12], y[:12], 12) == [], "one year is not a season"


def test_season_of_grain() -> None:
    assert fc.SEASON_OF_GRAIN == {"day": 7, "week": 52, "month": 12, "quarter": 4}
