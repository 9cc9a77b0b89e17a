"""Interval methods for a cell's treatment coefficient, chosen by `evaluate.interval_method`.

Why several: the estimate is a weighted regression on a matched sample from 6–12 schools. Two
things make a plain school-clustered (CR1) interval too narrow there: few clusters (the sandwich is
biased down and t(G−1) is not its distribution) and the matching itself (which comparisons are
chosen, and how often each is reused, varies with the sample; a sandwich with the weights held fixed
ignores that). The methods below address one or both; benchmarks/COVERAGE.md measures them in five
simulated worlds and docs/method.md says which is the default and why.

Methods that work on the matched sample with the weights held fixed (regression-based):
- CR2 (Bell & McCaffrey 2002) with the Bell–McCaffrey / Imbens–Kolesár (2016) degrees of freedom;
- CR3, the leave-one-school-out (jackknife) sandwich on the same design, t(G−1);
- the wild cluster restricted bootstrap (WCR, Cameron, Gelbach & Miller 2008) with Webb's six-point
  weights (MacKinnon & Webb: Rademacher has only 2^G distinct draws, 64 with 6 schools), its
  interval found by inverting the bootstrap test.
Methods that re-run the matching (the SE includes the matching's variance), given replicate draws:
- the school bootstrap (bootstrap.py): SE = SD of the replicates, t(G−1);
- the school jackknife: leave each school out, re-match, re-estimate; SE² = (R−1)/R Σ(θ_r − θ̄)².

All work on the FWL-demeaned, √weight-scaled design of estimate.CellData (stratum effects absorbed),
so "the regression" is plain least squares on those columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import stats

Z975 = 0.975
MAX_HALF_WIDTH = 50  # in CR1 SEs: a wild interval wider than this is reported as unavailable
WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


@dataclass(frozen=True)
class Fit:
    """Least squares of y on z (columns: treated first, then covariates), clustered by `cluster`."""

    z: np.ndarray  # n × k, already demeaned and √w-scaled
    y: np.ndarray
    cluster: np.ndarray  # integer codes 0..G−1
    coef: np.ndarray
    resid: np.ndarray
    zz_inv: np.ndarray
    n_clusters: int

    @classmethod
    def of(cls, y: np.ndarray, z: np.ndarray, cluster: np.ndarray) -> Fit:
        zz_inv = np.linalg.pinv(z.T @ z)
        coef = zz_inv @ (z.T @ y)
        _, codes = np.unique(cluster, return_inverse=True)
        return cls(z, y, codes, coef, y - z @ coef, zz_inv, int(codes.max()) + 1 if len(codes) else 0)

    @property
    def effect(self) -> float:
        return float(self.coef[0])

    def groups(self) -> list[np.ndarray]:
        order = np.argsort(self.cluster, kind="stable")
        bounds = np.r_[0, np.flatnonzero(np.diff(self.cluster[order])) + 1, len(order)]
        return [order[a:b] for a, b in pairwise(bounds.tolist())]

    def cr1_factor(self) -> float:
        """Stata's small-sample factor G/(G−1) · (n−1)/(n−k), as statsmodels' cluster `use_correction`."""
        n, k, g = len(self.y), self.z.shape[1], self.n_clusters
        return g / (g - 1) * (n - 1) / (n - k)


def cr1_se(fit: Fit) -> float:
    """School-clustered CR1 SE of the treatment coefficient (equals statsmodels' cluster SE)."""
    row = fit.zz_inv[0] @ fit.z.T  # the coefficient's weights on the observations
    scores = np.bincount(fit.cluster, weights=row * fit.resid, minlength=fit.n_clusters)
    return float(math.sqrt(fit.cr1_factor() * np.sum(scores**2)))


def inverse_sqrt_block(z_g: np.ndarray, zz_inv: np.ndarray, power: float) -> tuple[np.ndarray, np.ndarray]:
    """(I − H_gg)^power as I + W diag(d) W' with H_gg = Z_g (Z'Z)^{-1} Z_g' of rank ≤ k: the n_g × n_g
    matrix is never formed (a school has thousands of rows). Returns (W, d)."""
    u, s, vt = np.linalg.svd(z_g, full_matrices=False)
    keep = s > 1e-12 * max(s.max(initial=0.0), 1.0)
    u, s, vt = u[:, keep], s[keep], vt[keep]
    m = (s[:, None] * vt) @ zz_inv @ (vt.T * s[None, :])
    lam, p = np.linalg.eigh((m + m.T) / 2)
    lam = np.clip(lam, 0.0, 1.0 - 1e-10)
    return u @ p, (1.0 - lam) ** power - 1.0


def apply_block(w: np.ndarray, d: np.ndarray, v: np.ndarray) -> np.ndarray:
    return v + w @ (d * (w.T @ v))


def cr2(fit: Fit) -> tuple[float, float]:
    """CR2 SE of the treatment coefficient and the Bell–McCaffrey degrees of freedom.

    SE² = Σ_g (ℓ'(Z'Z)^{-1} Z_g' A_g û_g)², A_g = (I − H_gg)^{-1/2}, ℓ = e1. Degrees of freedom
    (Imbens & Kolesár 2016, homoskedastic working model): (Σλ)² / Σλ², λ the eigenvalues of G'G,
    column g of G = (I − H)_{·g} A_g Z_g (Z'Z)^{-1} ℓ.
    """
    z, c = fit.z, fit.zz_inv
    ell = c[:, 0]
    total = 0.0
    columns = np.zeros((len(fit.y), fit.n_clusters))
    for g, rows in enumerate(fit.groups()):
        w, d = inverse_sqrt_block(z[rows], c, -0.5)
        adjusted = apply_block(w, d, fit.resid[rows])
        total += float(ell @ (z[rows].T @ adjusted)) ** 2
        a_g = apply_block(w, d, z[rows] @ ell)  # A_g Z_g C ℓ
        columns[rows, g] = a_g
        columns[:, g] -= z @ (c @ (z[rows].T @ a_g))  # (I − H) restricted to cluster g's columns
    gram = columns.T @ columns
    lam = np.linalg.eigvalsh((gram + gram.T) / 2)
    dof = float(lam.sum() ** 2 / np.sum(lam**2)) if np.sum(lam**2) > 0 else float(fit.n_clusters - 1)
    return math.sqrt(total), dof


def cr3(fit: Fit) -> float:
    """CR3 SE: (G−1)/G Σ_g (θ̂ − θ̂_(g))², θ̂_(g) = the coefficient without school g, computed in closed
    form as (Z'Z)^{-1} Z_g' (I − H_gg)^{-1} û_g (the leave-one-school-out refit on the same design)."""
    z, c = fit.z, fit.zz_inv
    deltas = []
    for rows in fit.groups():
        w, d = inverse_sqrt_block(z[rows], c, -1.0)
        deltas.append(float(c[0] @ (z[rows].T @ apply_block(w, d, fit.resid[rows]))))
    g = fit.n_clusters
    return math.sqrt((g - 1) / g * float(np.sum(np.square(deltas))))


@dataclass(frozen=True)
class WildResult:
    p_value: float
    ci_low: float
    ci_high: float
    se: float  # the interval's half-width over t(G−1): an SE on the scale of the other methods


def wild_cluster_bootstrap(fit: Fit, *, draws: int = 999, seed: int = 0, weights: str = "webb") -> WildResult:
    """WCR bootstrap-t for the treatment coefficient: p-value of θ = 0 and the 95 % interval as the set
    of θ0 the bootstrap test does not reject (the same weights for every θ0, so the set is well defined).

    The null-imposed residuals are linear in θ0, so every bootstrap t-statistic is a ratio of terms
    linear in θ0: cluster sums are computed once and each θ0 costs a (G × B) product.
    """
    z, y, c, g = fit.z, fit.y, fit.zz_inv, fit.n_clusters
    rng = np.random.default_rng(seed)
    v = rng.choice(WEBB, size=(g, draws)) if weights == "webb" else rng.choice([-1.0, 1.0], size=(g, draws))
    x = z[:, 1:]
    x_inv = np.linalg.pinv(x.T @ x) if x.shape[1] else np.zeros((0, 0))

    def resid_x(vec: np.ndarray) -> np.ndarray:
        return vec - x @ (x_inv @ (x.T @ vec)) if x.shape[1] else vec

    r_y, r_t = resid_x(y), resid_x(z[:, 0])  # restricted residuals: r_y − θ0 r_t
    a = c[0] @ z.T
    s_y = np.bincount(fit.cluster, weights=a * r_y, minlength=g)
    s_t = np.bincount(fit.cluster, weights=a * r_t, minlength=g)
    q = np.vstack([np.bincount(fit.cluster, weights=a * z[:, j], minlength=g) for j in range(z.shape[1])]).T
    d_y = np.vstack([np.bincount(fit.cluster, weights=z[:, j] * r_y, minlength=g) for j in range(z.shape[1])]).T
    d_t = np.vstack([np.bincount(fit.cluster, weights=z[:, j] * r_t, minlength=g) for j in range(z.shape[1])]).T
    qc = q @ c
    se_hat = cr1_se(fit) / math.sqrt(fit.cr1_factor())  # the factor cancels in the bootstrap-t

    def p_value(theta0: float) -> float:
        s = s_y - theta0 * s_t
        f = qc @ (d_y - theta0 * d_t).T  # F[g, h] = Q_g C d_h
        numerator = s @ v
        scores = s[:, None] * v - f @ v
        se_star = np.sqrt(np.sum(scores**2, axis=0))
        t_star = np.divide(numerator, se_star, out=np.zeros_like(numerator), where=se_star > 0)
        t_obs = (fit.effect - theta0) / se_hat if se_hat > 0 else math.inf
        return float(np.mean(np.abs(t_star) >= abs(t_obs) - 1e-12))

    def bound(direction: float) -> float:
        inside, step = fit.effect, max(se_hat, 1e-8)
        outside = inside + direction * step
        while p_value(outside) > 0.05:
            if abs(outside - fit.effect) > MAX_HALF_WIDTH * step:
                return math.nan  # no bracket: with very few schools the test may reject nothing
            inside, outside = outside, outside + direction * step
        for _ in range(40):  # bisection to ~1e-12 of the bracket
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if p_value(mid) > 0.05 else (inside, mid)
        return (inside + outside) / 2

    low, high = bound(-1.0), bound(1.0)
    crit = float(stats.t.ppf(Z975, g - 1))
    return WildResult(p_value(0.0), low, high, (high - low) / (2 * crit))


def jackknife_se(draws: np.ndarray) -> float:
    """Delete-one-school jackknife SE from the R leave-one-out replicate estimates."""
    r = len(draws)
    return float(math.sqrt((r - 1) / r * np.sum((draws - draws.mean()) ** 2)))


def t_interval(effect: float, se: float, dof: float) -> tuple[float, float, float]:
    """(low, high, p) of effect ± t(dof) × se."""
    crit = float(stats.t.ppf(Z975, dof))
    p = float(2 * stats.t.sf(abs(effect / se), dof)) if se > 0 else float(effect == 0)
    return effect - crit * se, effect + crit * se, p
