"""Independent reference for single-season occupancy (MacKenzie et al. 2002, Ecology 83:
2248-2255) without covariates, written from the paper (numpy + scipy only).

Per station i with y_i detections in n_i surveyed occasions:
  L_i = psi p^y_i (1-p)^(n_i - y_i) + (1 - psi) [y_i = 0].
Maximised over logit(psi), logit(p) with scipy.optimize.minimize (BFGS, then Nelder-Mead
polish); standard errors on the logit scale from the inverse of a Richardson-extrapolated
finite-difference Hessian of the negative log-likelihood.

Reads JSON on stdin: {"cases": [[[y, n], ...], ...]}; writes one result per case.
"""
import json
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit


def nll(theta, y, n):
    psi, p = expit(theta[0]), expit(theta[1])
    det = psi * p ** y * (1 - p) ** (n - y)
    lik = det + (1 - psi) * (y == 0)
    return -np.sum(np.log(lik))


def hessian(f, x, h):
    def fd(hh):
        H = np.zeros((2, 2))
        for i in range(2):
            for j in range(2):
                ei = np.eye(2)[i] * hh
                ej = np.eye(2)[j] * hh
                H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * hh * hh)
        return H
    return (4 * fd(h / 2) - fd(h)) / 3


def fit(rows):
    y = np.array([r[0] for r in rows], dtype=float)
    n = np.array([r[1] for r in rows], dtype=float)
    f = lambda t: nll(t, y, n)
    r = minimize(f, np.zeros(2), method="BFGS", options={"gtol": 1e-10})
    r = minimize(f, r.x, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000})
    H = hessian(f, r.x, 1e-3)
    cov = np.linalg.inv(H)
    return {
        "psi": float(expit(r.x[0])),
        "p": float(expit(r.x[1])),
        "loglik": float(-r.fun),
        "se_logit_psi": float(np.sqrt(cov[0, 0])),
        "se_logit_p": float(np.sqrt(cov[1, 1])),
    }


def main():
    req = json.load(sys.stdin)
    json.dump([fit(c) for c in req["cases"]], sys.stdout)


if __name__ == "__main__":
    main()
