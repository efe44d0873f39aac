"""Seasonal forecasts of period counts that say how sure they are.

Method: additive Holt-Winters with a damped trend, in its error-correction (ETS(A,Ad,A)) form::

    ŷ_t = l + φb + s_{t−m};  e = y_t − ŷ_t
    l ← l + φb + αe;  b ← φb + βe;  s_t ← s_{t−m} + γe

α, β, γ are picked from a small grid by the in-sample one-step squared error (the first season
only initialises). The prediction interval is the model's own h-step interval,
``ŷ ± z·σ·sqrt(1 + Σ_{j<h} (α + βφ_j + γ·[j mod m = 0])²)`` with σ from the one-step
residuals (Hyndman & Athanasopoulos, *FPP*, table 6.1); :func:`backtest` then measures how
often real values fell inside it, so the stated 90 % is checked, not assumed. Counts cannot be
negative, so points and lower bounds are clipped at 0.

A series shorter than two seasons gets no seasonal term (``season`` 1, Holt's damped trend):
the model does not claim a season it has not seen twice.

Example:
    >>> fc = forecast([3, 5, 9, 4] * 3, season=4, horizon=4)
    >>> int(fc.point.argmax())
    2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import polars as pl

PHI = 0.9  # trend damping: counts rarely keep a slope for long
LEVEL = 0.9  # the interval's nominal coverage
Z = {0.8: 1.2816, 0.9: 1.6449, 0.95: 1.9600}
ALPHAS = (0.1, 0.2, 0.35, 0.5)
BETAS = (0.0, 0.02, 0.08)
GAMMAS = (0.05, 0.15, 0.3)
SEASON_OF_GRAIN = {"day": 7, "week": 52, "month": 12, "quarter": 4}

Values = Sequence[float] | np.ndarray | pl.Series


@dataclass(frozen=True)
class Forecast:
    """Point forecast and interval for each of the next ``len(point)`` periods."""

    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    season: int  # the season length actually modelled (1: none)
    level: float
    sigma: float  # one-step residual standard deviation
    params: tuple[float, float, float]  # α, β, γ


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin errors of the model and of the seasonal-naive baseline on the history."""

    mae: float | None
    mape: float | None  # percent, over actuals > 0
    naive_mae: float | None
    naive_mape: float | None
    coverage: float | None  # share of actuals inside the stated interval
    points: int  # forecasts scored
    folds: int


def _fit(y: np.ndarray, m: int, alpha: float, beta: float, gamma: float) -> tuple:
    """Run the recursions; returns (sse, residuals, level, trend, last m seasonals)."""
    if m > 1:
        first, second = y[:m].mean(), y[m : 2 * m].mean()
        b = (second - first) / m
        lv = first + b * (m - 1) / 2
        s = list(y[:m] - first)
        start = m
    else:
        lv, b, s, start = y[0], 0.0, [0.0], 1
    res = np.empty(len(y) - start)
    for t in range(start, len(y)):
        season = s[t - m] if m > 1 else 0.0
        e = y[t] - (lv + PHI * b + season)
        lv = lv + PHI * b + alpha * e
        b = PHI * b + beta * e
        s.append(season + gamma * e)
        res[t - start] = e
    return float(res @ res), res, lv, b, np.array(s[-m:])


def forecast(series: Values, season: int, horizon: int, *, level: float = LEVEL) -> Forecast:
    """Forecast ``horizon`` periods after ``series`` (equally spaced counts, no gaps)."""
    y = np.asarray(series, dtype=float)
    m = season if season > 1 and len(y) >= 2 * season else 1
    if len(y) < 3:  # nothing to fit: flat at the mean, Poisson-wide
        mean = float(y.mean()) if len(y) else 0.0
        sd = max(mean, 1.0) ** 0.5
        point = np.full(horizon, mean)
        return _bounded(point, np.full(horizon, sd), level, 1, sd, (0.0, 0.0, 0.0))
    best = None
    for a, b, g in product(ALPHAS, BETAS, GAMMAS if m > 1 else (0.0,)):
        if b > a or g > 1 - a:
            continue
        fit = _fit(y, m, a, b, g)
        if best is None or fit[0] < best[0][0]:
            best = (fit, (a, b, g))
    assert best is not None
    (_, res, lvl, trend, seas), (a, b, g) = best
    sigma = float(res.std(ddof=1)) if len(res) > 2 else max(float(y.mean()), 1.0) ** 0.5
    h = np.arange(1, horizon + 1)
    damp = np.cumsum(PHI**h)  # φ + φ² + … + φ^h
    point = lvl + damp * trend + seas[(h - 1) % m]
    c = a + b * damp[: horizon - 1] + g * ((h[: horizon - 1] % m == 0) & (m > 1))
    var = 1 + np.concatenate([[0.0], np.cumsum(c**2)])
    return _bounded(point, sigma * np.sqrt(var), level, m, sigma, (a, b, g))


def _bounded(
    point: np.ndarray,
    sd: np.ndarray,
    level: float,
    m: int,
    sigma: float,
    params: tuple[float, float, float],
) -> Forecast:
    z = Z.get(level, 1.6449)
    return Forecast(
        point=np.clip(point, 0, None),
        lower=np.clip(point - z * sd, 0, None),
        upper=np.clip(point + z * sd, 0, None),
        season=m,
        level=level,
        sigma=sigma,
        params=params,
    )


def seasonal_naive(history: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """Each future period repeats the same period one season earlier (the baseline)."""
    m = season if season > 1 and len(history) >= season else 1
    h = np.arange(horizon)
    return history[len(history) - m + (h % m)]


def backtest(series: Values, season: int, horizon: int, *, folds: int = 6) -> Backtest:
    """Rolling-origin evaluation: refit on each prefix ending ``horizon`` apart (latest first,
    at most ``folds``, each with two seasons or at least 6 periods of history), forecast the
    next ``horizon`` periods and score them against what happened."""
    y = np.asarray(series, dtype=float)
    least = max(2 * season, 6)
    origins = list(range(len(y) - horizon, least - 1, -horizon))[:folds]
    errs, naive_errs, actuals, inside = [], [], [], []
    for o in origins:
        actual = y[o : o + horizon]
        fc = forecast(y[:o], season, len(actual))
        errs.append(fc.point - actual)
        naive_errs.append(seasonal_naive(y[:o], season, len(actual)) - actual)
        actuals.append(actual)
        inside.append((actual >= fc.lower) & (actual <= fc.upper))
    if not errs:
        return Backtest(None, None, None, None, None, 0, 0)
    e, n, a = np.concatenate(errs), np.concatenate(naive_errs), np.concatenate(actuals)
    return Backtest(
        mae=float(np.abs(e).mean()),
        mape=_mape(e, a),
        naive_mae=float(np.abs(n).mean()),
        naive_mape=_mape(n, a),
        coverage=float(np.concatenate(inside).mean()),
        points=len(a),
        folds=len(origins),
    )


def _mape(errors: np.ndarray, actual: np.ndarray) -> float | None:
    nonzero = actual > 0
    if not nonzero.any():
        return None
    return float(np.abs(errors[nonzero] / actual[nonzero]).mean() * 100)


def normal_level(history: Values, season: int) -> float:
    """What a period usually counts: the mean of the last (up to three) full seasons."""
    y = np.asarray(history, dtype=float)
    span = max(season, 1) * 3
    return float(y[-span:].mean()) if len(y) else 0.0


def above_normal(history: Values, fc: Forecast, *, margin: float = 0.2) -> np.ndarray:
    """Future periods whose point forecast exceeds the normal level by more than ``margin``
    (a share) and by at least one count."""
    normal = normal_level(history, fc.season)
    return (fc.point > normal * (1 + margin)) & (fc.point - normal >= 1)


def seasonal_peaks(
    positions: Values, values: Values, season: int, *, margin: float = 0.2
) -> list[tuple[int, int]]:
    """Runs ``(first, last)`` of seasonal positions (0 … season−1, e.g. calendar months) whose
    mean is more than ``margin`` above the overall mean, a run may wrap (Dec–Jan). Only when
    every position was seen at least twice: one odd year is not a season."""
    pos = np.asarray(positions, dtype=int)
    val = np.asarray(values, dtype=float)
    seen = np.bincount(pos, minlength=season)[:season]
    if season < 2 or len(val) == 0 or seen.min() < 2:
        return []
    means = np.bincount(pos, weights=val, minlength=season)[:season] / seen
    overall = val.mean()
    high = (means > overall * (1 + margin)) & (means - overall >= 0.5)
    if not high.any() or high.all():
        return []
    start = int(np.argmin(high))  # a low position: runs never straddle the scan start
    runs: list[tuple[int, int]] = []
    for k in range(1, season + 1):
        p = (start + k) % season
        if high[p]:
            if runs and runs[-1][1] == (p - 1) % season:
                runs[-1] = (runs[-1][0], p)
            else:
                runs.append((p, p))
    return runs
