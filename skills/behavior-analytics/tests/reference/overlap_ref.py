"""Independent reference for the diel kernel density, its bandwidth and the overlap
estimators, written from the papers (numpy + scipy only):

- Ridout, M.S. & Linkie, M. (2009) Estimating overlap of daily activity patterns from
  camera trap data. JABES 14: 322-337. Kernel: von Mises with concentration nu,
  f(x) = 1/(n 2 pi I0(nu)) sum_j exp(nu cos(x - x_j)). Bandwidth (their eq. for the
  "plug-in" rule with a von Mises reference density): kappa_hat is estimated from the
  sample trigonometric moments (largest of the k = 1..3 solutions of
  A_k(kappa) = I_k(kappa)/I_0(kappa) = rho_k), then
  nu = [3 n kappa^2 I_2(2 kappa) / (4 sqrt(pi) I_0(kappa)^2)]^(2/5).
- Dhat1 = integral of min(fA, fB), approximated on an equally spaced grid of 128 points
  over [0, 2 pi] with the duplicated end point dropped, each density renormalised.
- Dhat4 = 1/2 [ mean_{x in A} min(1, fB(x)/fA(x)) + mean_{x in B} min(1, fA(x)/fB(x)) ];
  like the R package overlap, with more than 1.1 * 128 observations in all the densities at
  the observations are linearly interpolated from the 128-point grid.

Reads JSON on stdin: {"samples": {name: [radians]}, "grid": [radians], "grid_bw": {name: nu},
"pairs": [[a, b, adjust1, adjust4]]}. Writes JSON on stdout.
"""
import json
import sys

import numpy as np
from scipy.optimize import brentq
from scipy.special import ive


def ratio(k, kappa):
    return ive(k, kappa) / ive(0, kappa)


def bandwidth(x):
    x = np.asarray(x, dtype=float)
    kappas = []
    for k in (1, 2, 3):
        rho = abs(np.mean(np.exp(1j * k * x)))
        f = lambda kap: ratio(k, kap) - rho
        lo, hi = 1e-4, 345.0
        if f(lo) * f(hi) <= 0:
            kappas.append(brentq(f, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500))
        else:
            kappas.append(0.0)
    kap = max(kappas)
    # I2(2k)/I0(k)^2 with exponential scaling: ive(2, 2k) e^{2k} / (ive(0,k) e^k)^2.
    r = ive(2, 2 * kap) / ive(0, kap) ** 2
    return (3 * len(x) * kap ** 2 * r / (4 * np.sqrt(np.pi))) ** 0.4


def density(x, at, nu):
    x = np.asarray(x, dtype=float)[None, :]
    at = np.asarray(at, dtype=float)[:, None]
    k = np.exp(nu * (np.cos(at - x) - 1.0))
    return k.sum(axis=1) / (x.shape[1] * 2 * np.pi * ive(0, nu))


def dhat1(a, b, adjust):
    grid = np.linspace(0, 2 * np.pi, 128)
    fa = density(a, grid, bandwidth(a) / adjust)[1:]
    fb = density(b, grid, bandwidth(b) / adjust)[1:]
    return float(np.minimum(fa / fa.sum(), fb / fb.sum()).sum())


def dhat4(a, b, adjust):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    nua, nub = bandwidth(a) / adjust, bandwidth(b) / adjust
    if len(a) + len(b) > 128 * 1.1:
        grid = np.linspace(0, 2 * np.pi, 128)
        ga, gb = density(a, grid, nua), density(b, grid, nub)
        fa_a, fb_a = np.interp(a, grid, ga), np.interp(a, grid, gb)
        fa_b, fb_b = np.interp(b, grid, ga), np.interp(b, grid, gb)
    else:
        fa_a, fb_a = density(a, a, nua), density(b, a, nub)
        fa_b, fb_b = density(a, b, nua), density(b, b, nub)
    return float((np.mean(np.minimum(1, fb_a / fa_a)) + np.mean(np.minimum(1, fa_b / fb_b))) / 2)


def main():
    req = json.load(sys.stdin)
    s = req["samples"]
    out = {
        "bandwidth": {k: float(bandwidth(v)) for k, v in s.items()},
        "density": {k: [float(d) for d in density(s[k], req["grid"], nu)] for k, nu in req["grid_bw"].items()},
        "overlap": [
            {"dhat1": dhat1(s[a], s[b], adj1), "dhat4": dhat4(s[a], s[b], adj4)}
            for a, b, adj1, adj4 in req["pairs"]
        ],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
