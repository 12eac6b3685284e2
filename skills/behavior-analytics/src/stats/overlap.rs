//! Coefficient of overlapping Delta between two activity densities, and its bootstrap.
//!
//! Sources: Ridout, M.S. & Linkie, M. (2009) *JABES* 14: 322-337 (estimators Dhat1, Dhat4;
//! Dhat1 for small samples, Dhat4 when both have more than 50 records, adjust 0.8 and 1);
//! Meredith, M. & Ridout, M., R package *overlap*: `overlapEst(A, B, kmax = 3, adjust =
//! c(0.8, 1, 4), n.grid = 128)`, `bootstrap(A, B, nb, smooth = TRUE)` and `bootCI(t0, bt)`
//! (its vignette "Overview of the overlap package" recommends the smoothed bootstrap and
//! the `basic0` interval).

use super::diel::{bandwidth, closed_grid, density};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Which estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// Dhat1: the sum of pointwise minima of the two densities on a grid.
    Dhat1,
    /// Dhat4: mean density ratios evaluated at the observations.
    Dhat4,
}

impl Estimator {
    /// overlapEst's default `adjust` for the estimator (0.8 for Dhat1, 1 for Dhat4).
    pub fn default_adjust(self) -> f64 {
        match self {
            Estimator::Dhat1 => 0.8,
            Estimator::Dhat4 => 1.0,
        }
    }

    /// Ridout & Linkie's advice as overlap applies it: Dhat1 when the smaller sample has at
    /// most 50 records, else Dhat4.
    pub fn for_sizes(n_a: f64, n_b: f64) -> Estimator {
        if n_a.min(n_b) <= 50.0 {
            Estimator::Dhat1
        } else {
            Estimator::Dhat4
        }
    }

    /// `Dhat1` / `Dhat4`.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Dhat1 => "Dhat1",
            Estimator::Dhat4 => "Dhat4",
        }
    }
}

/// Grid size of overlapEst.
pub const N_GRID: usize = 128;

/// Linear interpolation of `ys` (on the closed grid `xs`) at `x` (R's `approx`).
fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let n = xs.len();
    let step = xs[n - 1] / (n - 1) as f64;
    let pos = (x / step).clamp(0.0, (n - 1) as f64);
    let i = (pos.floor() as usize).min(n - 2);
    let f = pos - i as f64;
    ys[i] * (1.0 - f) + ys[i + 1] * f
}

/// overlapEst for one estimator on weighted samples (angles in radians). `None` when a
/// bandwidth cannot be found (overlap returns NA).
///
/// - Dhat1 = `sum(pmin(fA, fB))` over the 128-point grid `seq(0, 2 pi, length = 128)` with
///   the first point dropped and each density normalised to sum 1.
/// - Dhat4 = `(mean_{x in A} min(1, fB(x)/fA(x)) + mean_{x in B} min(1, fA(x)/fB(x))) / 2`;
///   when the two samples have more than `1.1 * 128` records in all, the densities at the
///   observations are interpolated linearly from the grid, as overlapEst does.
pub fn overlap_est(a: &[(f64, f64)], b: &[(f64, f64)], est: Estimator, adjust: f64) -> Option<f64> {
    let bw_a = bandwidth(a, 3)? / adjust;
    let bw_b = bandwidth(b, 3)? / adjust;
    let grid = closed_grid(N_GRID);
    match est {
        Estimator::Dhat1 => {
            let da = density(a, &grid, bw_a);
            let db = density(b, &grid, bw_b);
            let (sa, sb): (f64, f64) = (da[1..].iter().sum(), db[1..].iter().sum());
            Some(da[1..].iter().zip(&db[1..]).map(|(x, y)| (x / sa).min(y / sb)).sum())
        }
        Estimator::Dhat4 => {
            let n_all: f64 = a.iter().chain(b).map(|p| p.1).sum();
            let xs_a: Vec<f64> = a.iter().map(|p| p.0).collect();
            let xs_b: Vec<f64> = b.iter().map(|p| p.0).collect();
            let (fa_a, fb_a, fa_b, fb_b) = if n_all > N_GRID as f64 * 1.1 {
                let da = density(a, &grid, bw_a);
                let db = density(b, &grid, bw_b);
                let at = |ys: &[f64], xs: &[f64]| xs.iter().map(|&x| interpolate(&grid, ys, x)).collect::<Vec<_>>();
                (at(&da, &xs_a), at(&db, &xs_a), at(&da, &xs_b), at(&db, &xs_b))
            } else {
                (
                    density(a, &xs_a, bw_a),
                    density(b, &xs_a, bw_b),
                    density(a, &xs_b, bw_a),
                    density(b, &xs_b, bw_b),
                )
            };
            let mean_ratio = |pts: &[(f64, f64)], num: &[f64], den: &[f64]| {
                let n: f64 = pts.iter().map(|p| p.1).sum();
                pts.iter()
                    .enumerate()
                    .map(|(i, p)| p.1 * (num[i] / den[i]).min(1.0))
                    .sum::<f64>()
                    / n
            };
            Some((mean_ratio(a, &fb_a, &fa_a) + mean_ratio(b, &fa_b, &fb_b)) / 2.0)
        }
    }
}

/// Plain (unweighted) samples as weighted points.
pub fn unweighted(xs: &[f64]) -> Vec<(f64, f64)> {
    xs.iter().map(|&x| (x, 1.0)).collect()
}

/// Result of a bootstrap.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// The bootstrap estimates (NA replicates dropped).
    pub estimates: Vec<f64>,
}

/// The smoothed bootstrap of overlap's `bootstrap(A, B, nb, smooth = TRUE)`: each replicate
/// draws `n_A` (`n_B`) times from the 511 points of `seq(0, 2 pi, length = 512)[-1]` with
/// probabilities proportional to the fitted density of A (B) (bandwidth without `adjust`),
/// then applies `est` with `adjust`. Replicates are counted per grid point, so each costs
/// O(grid) rather than O(n). Seeded: the same seed gives the same replicates.
pub fn smoothed_bootstrap(
    a: &[(f64, f64)],
    b: &[(f64, f64)],
    est: Estimator,
    adjust: f64,
    replicates: usize,
    seed: u64,
) -> Option<Bootstrap> {
    use rand::SeedableRng;
    let grid512 = closed_grid(512);
    let support: Vec<f64> = grid512[1..].to_vec();
    let cdf = |pts: &[(f64, f64)]| -> Option<Vec<f64>> {
        let bw = bandwidth(pts, 3)?;
        let d = density(pts, &support, bw);
        let total: f64 = d.iter().sum();
        let mut acc = 0.0;
        Some(
            d.iter()
                .map(|v| {
                    acc += v / total;
                    acc
                })
                .collect(),
        )
    };
    let (cdf_a, cdf_b) = (cdf(a)?, cdf(b)?);
    let n_a = a.iter().map(|p| p.1).sum::<f64>().round() as usize;
    let n_b = b.iter().map(|p| p.1).sum::<f64>().round() as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let draw = |rng: &mut ChaCha8Rng, cdf: &[f64], n: usize| -> Vec<(f64, f64)> {
        let mut counts = vec![0u32; cdf.len()];
        for _ in 0..n {
            let u: f64 = rng.random();
            let i = cdf.partition_point(|c| *c < u).min(cdf.len() - 1);
            counts[i] += 1;
        }
        counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (support[i], f64::from(*c)))
            .collect()
    };
    let mut estimates = Vec::with_capacity(replicates);
    for _ in 0..replicates {
        let ra = draw(&mut rng, &cdf_a, n_a);
        let rb = draw(&mut rng, &cdf_b, n_b);
        if let Some(v) = overlap_est(&ra, &rb, est, adjust) {
            estimates.push(v);
        }
    }
    Some(Bootstrap { estimates })
}

/// Percentile and basic0 intervals of overlap's `bootCI(t0, bt, conf)`:
/// `perc` = the `(R+1) alpha` order statistics (R's `quantileInter`; where `(R+1) alpha` is
/// not a whole number we interpolate linearly between neighbours, a simplification of its
/// normal-scale interpolation), `basic0 = perc - (mean(bt) - t0)` (bias-corrected
/// percentile, the interval Meredith & Ridout recommend). Returns `(perc, basic0)`, each
/// `(lower, upper)`; `None` with fewer than 2 replicates.
pub fn boot_ci(t0: f64, estimates: &[f64], conf: f64) -> Option<((f64, f64), (f64, f64))> {
    let r = estimates.len();
    if r < 2 {
        return None;
    }
    let mut bt = estimates.to_vec();
    bt.sort_by(f64::total_cmp);
    let q = |alpha: f64| {
        let rk = ((r + 1) as f64 * alpha).clamp(1.0, r as f64);
        let k = rk.floor() as usize; // 1-based order statistic
        let f = rk - k as f64;
        let lo = bt[k - 1];
        let hi = bt[k.min(r) - 1 + usize::from(k < r)];
        lo + f * (hi - lo)
    };
    let perc = (q((1.0 - conf) / 2.0), q((1.0 + conf) / 2.0));
    let bias = bt.iter().sum::<f64>() / r as f64 - t0;
    Some((perc, (perc.0 - bias, perc.1 - bias)))
}
