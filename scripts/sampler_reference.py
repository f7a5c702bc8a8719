#!/usr/bin/env python3
"""Float64 reference trajectories for NB-mini's samplers -> Tests/Fixtures/samplers/sampler_cases.json.

Written from the papers, not from the Swift code, so that the two can disagree:
- DDIM (Song et al. 2021, eta = 0) for v-prediction: x0 = a x - s v, eps = s x + a v, x' = a' x0 + s' eps.
- Euler: the explicit Euler method on the probability-flow ODE in t itself, dx/dt = (pi / 2) v (for this schedule
  x = alpha x0 + sigma eps gives dx/dt = (pi / 2)(alpha eps - sigma x0) = (pi / 2) v), x' = x + (t' - t)(pi / 2) v:
  the first-order solver of rectified-flow / flow-matching samplers. Well defined at t = 1 (no special first step).
- DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2), here in k-diffusion's variance-exploding form
  (x~ and lambda = -log sigma~), where the Swift side uses the paper's variance-preserving form.
- Karras time spacing: k-diffusion's get_sigmas_karras, rho = 7.

The schedule is NB-mini's: alpha(t) = cos(pi t / 2), sigma(t) = sin(pi t / 2), taken exactly as 0 and 1 at t = 1
(and 1 and 0 at t = 0) rather than cos(pi / 2) = 6e-17, which the Swift side rounds; the difference is far below
the fixture's tolerance.

The "model" is the exact denoiser of a Gaussian data distribution, x0 ~ N(mu_j, s_j^2) independently per element j:
with x_t = alpha x0 + sigma eps, Var(x_t) = alpha^2 s^2 + sigma^2 =: q, E[x0 | x_t] = mu + alpha s^2 (x_t - alpha mu) / q,
E[eps | x_t] = sigma (x_t - alpha mu) / q, and v = alpha E[eps] - sigma E[x0]. Its probability-flow ODE has the
closed-form solution x(t) = alpha mu + sqrt(q) z for noise z at t = 1, so x(0) = mu + s z; the script checks that
against RK4 on dx/dt = (pi / 2) v (for this schedule d(alpha x0 + sigma eps)/dt = (pi / 2) v).

Checked rather than assumed:
- Euler in Karras et al. (2022)'s variables (x~ = x / alpha, sigma~ = sigma / alpha, dx~/dsigma~ = (x~ - D) / sigma~,
  one Euler step in sigma~; k-diffusion's sample_euler) is DDIM (x~' = D + sigma~' (x~ - D) / sigma~ is
  x' = a' x0 + s' eps). The two are computed separately here and must agree to 1e-12; that is why the Swift side
  has no separate sampler for it (its `ddim` is that Euler) and why `euler` is the Euler method in t instead.
- Euler in t is not DDIM: its trajectory differs from DDIM's by far more than rounding (> 1e-3 at every N;
  0.29 uniform and 0.31 Karras at N = 8), and it is first order: its error vs the closed form falls by about
  25/8 = 3.1 from N = 8 to N = 25 (3.24 uniform; 2.29 Karras, whose largest step in t shrinks only 2.2x).
- DPM-Solver++'s first-order step is DDIM as well.

Fixture: noise z (float32-representable values, so that Swift starts from the same vector), mu, s; per case
(sampler, spacing, steps): the time grid and x after every step; the exact x(0). Rerun:
    python3 scripts/sampler_reference.py
Output is deterministic (seed 20240611, no timestamps).
"""
from __future__ import annotations

import json
import math
import os

import numpy as np

SAMPLERS = ["ddim", "euler", "dpmpp-2m"]
SPACINGS = ["uniform", "karras"]
STEPS = [1, 2, 3, 4, 8, 25]
RHO = 7.0
ELEMENTS = 32
SEED = 20240611


def alpha_sigma(t: float) -> tuple[float, float]:
    if t >= 1.0:
        return 0.0, 1.0
    if t <= 0.0:
        return 1.0, 0.0
    return math.cos(0.5 * math.pi * t), math.sin(0.5 * math.pi * t)


class GaussianModel:
    """v-prediction of the exact denoiser for x0 ~ N(mu, s^2) per element."""

    def __init__(self, mu: np.ndarray, s: np.ndarray):
        self.mu, self.s = mu, s

    def posterior(self, x: np.ndarray, t: float):
        a, g = alpha_sigma(t)
        q = a * a * self.s ** 2 + g * g
        r = x - a * self.mu
        x0 = self.mu + a * self.s ** 2 * r / q
        eps = g * r / q
        return x0, eps

    def v(self, x: np.ndarray, t: float) -> np.ndarray:
        a, g = alpha_sigma(t)
        x0, eps = self.posterior(x, t)
        return a * eps - g * x0

    def exact(self, z: np.ndarray, t: float) -> np.ndarray:
        a, g = alpha_sigma(t)
        return a * self.mu + np.sqrt(a * a * self.s ** 2 + g * g) * z


def grid_uniform(n: int) -> list[float]:
    return [(n - i) / n for i in range(n + 1)]


def grid_karras(n: int) -> list[float]:
    """t = 1, then n - 1 Karras points between sigma~ at the uniform grid's t = (n-1)/n and t = 1/n, then 0."""
    if n == 1:
        return [1.0, 0.0]
    sig_max = math.tan(0.5 * math.pi * (n - 1) / n)
    sig_min = math.tan(0.5 * math.pi / n)
    ramp = np.linspace(0.0, 1.0, n - 1)
    lo, hi = sig_min ** (1.0 / RHO), sig_max ** (1.0 / RHO)
    sigmas = (hi + ramp * (lo - hi)) ** RHO
    return [1.0] + [float(2.0 / math.pi * math.atan(x)) for x in sigmas] + [0.0]


def from_v(x, v, t):
    a, g = alpha_sigma(t)
    return a * x - g * v, g * x + a * v   # x0, eps


def run_ddim(model, z, grid):
    x, out = z.copy(), []
    for t, t_next in zip(grid[:-1], grid[1:]):
        x0, eps = from_v(x, model.v(x, t), t)
        a2, g2 = alpha_sigma(t_next)
        x = a2 * x0 + g2 * eps
        out.append(x.copy())
    return out


def run_euler(model, z, grid):
    """Explicit Euler on dx/dt = (pi / 2) v(x, t), stepping in t from grid[i] to grid[i + 1]."""
    x, out = z.copy(), []
    for t, t_next in zip(grid[:-1], grid[1:]):
        x = x + (t_next - t) * 0.5 * math.pi * model.v(x, t)
        out.append(x.copy())
    return out


def run_euler_edm(model, z, grid):
    """k-diffusion's sample_euler in x~ = x / alpha, sigma~ = sigma / alpha; only to check that it is DDIM."""
    x, out = z.copy(), []
    for t, t_next in zip(grid[:-1], grid[1:]):
        a, g = alpha_sigma(t)
        a2, g2 = alpha_sigma(t_next)
        D, _ = from_v(x, model.v(x, t), t)
        if a == 0.0:
            # sigma~ = inf: the step's limit, x~' = D + sigma~' lim (x~ - D) / sigma~ = D + sigma~' x.
            x = a2 * D + g2 * x
        else:
            xt, st, st2 = x / a, g / a, g2 / a2
            d = (xt - D) / st
            x = a2 * (xt + (st2 - st) * d)
        out.append(x.copy())
    return out


def lam(t: float) -> float:
    a, g = alpha_sigma(t)
    if a == 0.0:
        return -math.inf
    if g == 0.0:
        return math.inf
    return math.log(a / g)


def run_dpmpp_2m(model, z, grid):
    """k-diffusion's sample_dpmpp_2m, in x~ = x / alpha; first and last steps first order."""
    x, out, old_D, h_last = z.copy(), [], None, None
    for t, t_next in zip(grid[:-1], grid[1:]):
        a, g = alpha_sigma(t)
        a2, g2 = alpha_sigma(t_next)
        D, eps = from_v(x, model.v(x, t), t)
        h = lam(t_next) - lam(t)
        if old_D is None or g2 == 0.0 or a == 0.0:
            # First order (DPM-Solver++(1)): exact integral with D held constant, x' = a' D + s' eps.
            x = a2 * D + g2 * eps
        else:
            r = h_last / h
            Dd = (1 + 1 / (2 * r)) * D - (1 / (2 * r)) * old_D
            xt = x / a
            xt = (g2 / a2) / (g / a) * xt - math.expm1(-h) * Dd
            x = a2 * xt
        old_D, h_last = D, h
        out.append(x.copy())
    return out


RUNNERS = {"ddim": run_ddim, "euler": run_euler, "dpmpp-2m": run_dpmpp_2m}
GRIDS = {"uniform": grid_uniform, "karras": grid_karras}


def rk4(model, z, n=4000):
    x, dt = z.copy(), -1.0 / n
    f = lambda x, t: 0.5 * math.pi * model.v(x, t)
    for i in range(n):
        t = 1.0 - i / n
        k1 = f(x, t)
        k2 = f(x + 0.5 * dt * k1, t + 0.5 * dt)
        k3 = f(x + 0.5 * dt * k2, t + 0.5 * dt)
        k4 = f(x + dt * k3, t + dt)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def main() -> None:
    rng = np.random.default_rng(SEED)
    z = rng.standard_normal(ELEMENTS).astype(np.float32).astype(np.float64)
    mu = rng.uniform(-1.5, 1.5, ELEMENTS).astype(np.float32).astype(np.float64)
    s = rng.uniform(0.2, 2.0, ELEMENTS).astype(np.float32).astype(np.float64)
    model = GaussianModel(mu, s)
    exact0 = model.exact(z, 0.0)
    assert np.allclose(exact0, mu + s * z, rtol=0, atol=1e-15)
    ode = rk4(model, z)
    ode_err = float(np.max(np.abs(ode - exact0)))
    assert ode_err < 1e-9, f"closed form vs RK4: {ode_err}"

    cases = []
    for sampler in SAMPLERS:
        for spacing in SPACINGS:
            for n in STEPS:
                grid = GRIDS[spacing](n)
                assert grid[0] == 1.0 and grid[-1] == 0.0 and all(a > b for a, b in zip(grid, grid[1:])), grid
                traj = RUNNERS[sampler](model, z, grid)
                err = float(np.max(np.abs(traj[-1] - exact0)))
                cases.append({"sampler": sampler, "spacing": spacing, "steps": n, "grid": grid,
                              "trajectory": [list(map(float, x)) for x in traj], "max_abs_error_vs_exact": err})
    by = {(c["sampler"], c["spacing"], c["steps"]): c for c in cases}
    for spacing in SPACINGS:
        for n in STEPS:
            grid = GRIDS[spacing](n)
            d = by[("ddim", spacing, n)]["trajectory"]
            edm = run_euler_edm(model, z, grid)
            gap = max(abs(p - q) for xs, ys in zip(d, edm) for p, q in zip(xs, ys))
            assert gap < 1e-12, f"Euler (x~, sigma~) should be DDIM: {spacing} {n}: {gap}"
            e = by[("euler", spacing, n)]["trajectory"]
            gap = max(abs(p - q) for xs, ys in zip(d, e) for p, q in zip(xs, ys))
            assert gap > 1e-3, f"Euler in t should not be DDIM: {spacing} {n}: {gap}"
            assert by[("dpmpp-2m", spacing, n)]["trajectory"][0] == d[0]
        e = [by[("euler", spacing, n)]["max_abs_error_vs_exact"] for n in STEPS]
        assert all(p > q for p, q in zip(e, e[1:])), f"Euler in t should converge: {spacing} {e}"
        ratio = e[STEPS.index(8)] / e[STEPS.index(25)]
        assert 2.0 < ratio < 5.0, f"Euler in t should be first order: {spacing} N=8/N=25 error ratio {ratio}"
        print(f"euler/{spacing}: error(N=8) / error(N=25) = {ratio:.3f} (first order: 25/8 = 3.125)")
    table = {f"{k[0]}/{k[1]}": [by[(k[0], k[1], n)]["max_abs_error_vs_exact"] for n in STEPS]
             for k in by if k[2] == STEPS[0]}
    for k, v in table.items():
        print(f"{k:18s} " + " ".join(f"{e:.3e}" for e in v))

    doc = {
        "generator": f"scripts/sampler_reference.py, numpy {np.__version__}, float64",
        "schedule": "alpha = cos(pi t / 2), sigma = sin(pi t / 2), v-prediction",
        "model": "v of the exact denoiser for x0 ~ N(mu, s^2) per element",
        "rho": RHO,
        "noise": list(map(float, z)), "mu": list(map(float, mu)), "s": list(map(float, s)),
        "exact_x0": list(map(float, exact0)),
        "closed_form_vs_rk4_max_abs": ode_err,
        "cases": cases,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "samplers")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "sampler_cases.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {os.path.relpath(path)} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
