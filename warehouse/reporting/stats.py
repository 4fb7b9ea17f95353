"""Small statistics: PostgreSQL's percentile_cont, and the test that tells a trend from noise."""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.special import betainc


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks.

    Kept identical so that an analyst who recomputes a median from reporting.complaints with
    percentile_cont(0.5) gets the number the rollup holds.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def rate_change_p_value(current: int, previous: int) -> float:
    """Two-sided p-value that two equal-length periods share one Poisson rate.

    Given their total n, the count of the current period is Binomial(n, 1/2) when the rate did
    not change (the conditional test for two Poisson counts). The p-value doubles the tail beyond
    the observed split; betainc is the binomial tail without summing n terms.
    """
    n = current + previous
    if n == 0:
        return 1.0
    extreme = max(current, previous)
    if 2 * extreme <= n:
        return 1.0
    # P(X >= k) for X ~ Binomial(n, p) is the regularised incomplete beta I_p(k, n - k + 1).
    tail = float(betainc(extreme, n - extreme + 1, 0.5))
    return min(1.0, 2.0 * tail)
