//! Single-season occupancy without covariates, by maximum likelihood.
//!
//! Source: MacKenzie, D.I., Nichols, J.D., Lachman, G.B., Droege, S., Royle, J.A. &
//! Langtimm, C.A. (2002) Estimating site occupancy rates when detection probabilities are
//! less than one. *Ecology* 83: 2248-2255 (equation 1 with constant psi and p); the same
//! model as R's `unmarked::occu(~1 ~1)`. Per station i with `y_i` detections in `n_i`
//! surveyed occasions (NA occasions skipped):
//! `L_i = psi p^y_i (1-p)^(n_i - y_i) + (1 - psi) [y_i = 0]`.
//! Standard errors come from the observed information (the inverse of the numerical Hessian
//! of the negative log-likelihood on the logit scale), as `unmarked` reports them; 95%
//! intervals are Wald intervals on the logit scale, back-transformed.

/// One station's data: detections and surveyed occasions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StationData {
    /// Occasions with a detection.
    pub detections: u32,
    /// Occasions surveyed (not NA).
    pub surveyed: u32,
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// The log-likelihood at (psi, p).
pub fn log_likelihood(data: &[StationData], psi: f64, p: f64) -> f64 {
    data.iter()
        .filter(|s| s.surveyed > 0)
        .map(|s| {
            let y = f64::from(s.detections);
            let n = f64::from(s.surveyed);
            let detected_part = psi * p.powf(y) * (1.0 - p).powf(n - y);
            let l = if s.detections == 0 {
                detected_part + (1.0 - psi)
            } else {
                detected_part
            };
            l.ln()
        })
        .sum()
}

fn nll_logit(data: &[StationData], v: [f64; 2]) -> f64 {
    let l = -log_likelihood(data, logistic(v[0]), logistic(v[1]));
    if l.is_finite() { l } else { f64::MAX / 4.0 }
}

/// Nelder-Mead minimisation of a 2-parameter function (Nelder & Mead 1965).
fn nelder_mead(f: impl Fn([f64; 2]) -> f64, start: [f64; 2]) -> [f64; 2] {
    let mut pts = [start, [start[0] + 0.5, start[1]], [start[0], start[1] + 0.5]];
    let mut vals = pts.map(&f);
    for _ in 0..5000 {
        let mut idx = [0usize, 1, 2];
        idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        pts = idx.map(|i| pts[i]);
        vals = idx.map(|i| vals[i]);
        let size = (pts[1][0] - pts[0][0])
            .abs()
            .max((pts[1][1] - pts[0][1]).abs())
            .max((pts[2][0] - pts[0][0]).abs().max((pts[2][1] - pts[0][1]).abs()));
        if size < 1e-11 && (vals[2] - vals[0]).abs() < 1e-14 {
            break;
        }
        let c = [(pts[0][0] + pts[1][0]) / 2.0, (pts[0][1] + pts[1][1]) / 2.0];
        let along = |t: f64| [c[0] + t * (pts[2][0] - c[0]), c[1] + t * (pts[2][1] - c[1])];
        let r = along(-1.0);
        let fr = f(r);
        if fr < vals[0] {
            let e = along(-2.0);
            let fe = f(e);
            if fe < fr {
                (pts[2], vals[2]) = (e, fe);
            } else {
                (pts[2], vals[2]) = (r, fr);
            }
        } else if fr < vals[1] {
            (pts[2], vals[2]) = (r, fr);
        } else {
            let k = if fr < vals[2] { along(-0.5) } else { along(0.5) };
            let fk = f(k);
            if fk < vals[2].min(fr) {
                (pts[2], vals[2]) = (k, fk);
            } else {
                for i in 1..3 {
                    pts[i] = [(pts[i][0] + pts[0][0]) / 2.0, (pts[i][1] + pts[0][1]) / 2.0];
                    vals[i] = f(pts[i]);
                }
            }
        }
    }
    let best = (0..3).min_by(|&a, &b| vals[a].total_cmp(&vals[b])).unwrap_or(0);
    pts[best]
}

/// The fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct OccupancyFit {
    /// Occupancy probability.
    pub psi: f64,
    /// Detection probability per occasion.
    pub p: f64,
    /// Standard errors on the logit scale `(psi, p)`; `None` where the Hessian is singular.
    pub se_logit: Option<(f64, f64)>,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// AIC = -2 logL + 2 * 2.
    pub aic: f64,
    /// The estimate sits on (or within 1e-4 of) the edge of the parameter space.
    pub at_boundary: bool,
}

/// Fits psi and p by maximum likelihood. `None` with no surveyed station.
pub fn fit(data: &[StationData]) -> Option<OccupancyFit> {
    let surveyed: Vec<StationData> = data.iter().copied().filter(|s| s.surveyed > 0).collect();
    if surveyed.is_empty() {
        return None;
    }
    // Start from the naive estimates.
    let detected = surveyed.iter().filter(|s| s.detections > 0).count() as f64;
    let naive = (detected / surveyed.len() as f64).clamp(0.05, 0.95);
    let y: f64 = surveyed.iter().map(|s| f64::from(s.detections)).sum();
    let n: f64 = surveyed
        .iter()
        .filter(|s| s.detections > 0)
        .map(|s| f64::from(s.surveyed))
        .sum();
    let p0 = if n > 0.0 { (y / n).clamp(0.05, 0.95) } else { 0.1 };
    let f = |v: [f64; 2]| nll_logit(&surveyed, [v[0].clamp(-30.0, 30.0), v[1].clamp(-30.0, 30.0)]);
    let mut v = nelder_mead(f, [logit(naive), logit(p0)]);
    // A second start from the answer shakes off an early stop.
    v = nelder_mead(f, v);
    let (psi, p) = (logistic(v[0]), logistic(v[1]));
    let ll = log_likelihood(&surveyed, psi, p);
    // Numerical Hessian of the negative log-likelihood on the logit scale.
    let h = 1e-4;
    let e = |i: usize, s: f64| {
        let mut x = v;
        x[i] += s;
        x
    };
    let f0 = f(v);
    let h00 = (f(e(0, h)) - 2.0 * f0 + f(e(0, -h))) / (h * h);
    let h11 = (f(e(1, h)) - 2.0 * f0 + f(e(1, -h))) / (h * h);
    let pp = |a: f64, b: f64| f([v[0] + a, v[1] + b]);
    let h01 = (pp(h, h) - pp(h, -h) - pp(-h, h) + pp(-h, -h)) / (4.0 * h * h);
    let det = h00 * h11 - h01 * h01;
    let se_logit = (det > 1e-12 && h00 > 0.0 && h11 > 0.0).then(|| ((h11 / det).sqrt(), (h00 / det).sqrt()));
    let edge = |x: f64| !(1e-4..=1.0 - 1e-4).contains(&x);
    Some(OccupancyFit {
        psi,
        p,
        se_logit,
        log_likelihood: ll,
        aic: -2.0 * ll + 4.0,
        at_boundary: edge(psi) || edge(p),
    })
}

/// Delta-method standard error on the probability scale from the logit-scale one.
pub fn se_probability(prob: f64, se_logit: f64) -> f64 {
    se_logit * prob * (1.0 - prob)
}

/// Wald interval on the logit scale, back-transformed: `logistic(logit(prob) +/- z se)`.
pub fn ci_probability(prob: f64, se_logit: f64, z: f64) -> (f64, f64) {
    let l = logit(prob.clamp(1e-12, 1.0 - 1e-12));
    (logistic(l - z * se_logit), logistic(l + z * se_logit))
}
