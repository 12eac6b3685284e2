//! Effort, independent detections and detection histories on plain numbers (milliseconds
//! since the epoch).
//!
//! Sources: DOMAIN.md formulas 1-4; Rovero, F. & Zimmermann, F. (eds.) (2016) *Camera
//! Trapping for Wildlife Research*, ch. 5 (trap-nights, RAI, independence interval);
//! O'Brien, T.G., Kinnaird, M.F. & Wibisono, H.T. (2003) *Animal Conservation* 6: 131-139
//! (RAI = detections per 100 trap-nights); Niedballa, J. et al. (2016) camtrapR
//! (`cameraOperation`, `detectionHistory` with `minActiveDaysPerOccasion`) for the NA rule.

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The operating intervals `[start, end)` of a deployment inside the window `[from, to)`:
/// the deployment clipped to the window, minus its malfunction windows.
pub fn operating_intervals(dep: (i64, i64), malfunctions: &[(i64, i64)], from: i64, to: i64) -> Vec<(i64, i64)> {
    let (s, e) = (dep.0.max(from), dep.1.min(to));
    if e <= s {
        return Vec::new();
    }
    let mut cuts: Vec<(i64, i64)> = malfunctions
        .iter()
        .map(|&(a, b)| (a.max(s), b.min(e)))
        .filter(|(a, b)| b > a)
        .collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut cur = s;
    for (a, b) in cuts {
        if a > cur {
            out.push((cur, a));
        }
        cur = cur.max(b);
    }
    if e > cur {
        out.push((cur, e));
    }
    out
}

/// Total length of intervals, in days (24 h periods, fractional): trap-nights.
pub fn days(intervals: &[(i64, i64)]) -> f64 {
    intervals.iter().map(|(a, b)| (b - a) as f64).sum::<f64>() / DAY_MS as f64
}

/// Length of the overlap of intervals with `[a, b)`, in milliseconds.
pub fn overlap_ms(intervals: &[(i64, i64)], a: i64, b: i64) -> i64 {
    intervals.iter().map(|&(s, e)| (e.min(b) - s.max(a)).max(0)).sum()
}

/// Whether `t` lies inside any interval.
pub fn inside(intervals: &[(i64, i64)], t: i64) -> bool {
    intervals.iter().any(|&(s, e)| s <= t && t < e)
}

/// The independence rule: given the start times of one species' detections at one station,
/// sorted ascending, marks a detection as counted when it starts at least `interval_ms`
/// after the previous **counted** one (the first always counts). E.g. 0, 10, 35, 50, 70
/// minutes with 30 minutes: counted at 0, 35 and 70.
pub fn independent(times: &[i64], interval_ms: i64) -> Vec<bool> {
    let mut last: Option<i64> = None;
    times
        .iter()
        .map(|&t| match last {
            Some(l) if t - l < interval_ms => false,
            _ => {
                last = Some(t);
                true
            }
        })
        .collect()
}

/// Number of independent detections (see [`independent`]).
pub fn count_independent(times: &[i64], interval_ms: i64) -> usize {
    independent(times, interval_ms).into_iter().filter(|c| *c).count()
}

/// RAI = 100 * detections / trap-nights (`None` with no effort).
pub fn rai(independent_detections: usize, trap_nights: f64) -> Option<f64> {
    (trap_nights > 0.0).then(|| 100.0 * independent_detections as f64 / trap_nights)
}

/// One station's detection history over occasions `[start_k, start_k + len)`:
/// `None` (NA) when the station operated for less than `min_fraction` of the occasion
/// (camtrapR-style `minActiveDaysPerOccasion`, as a fraction), else `Some(1)` when a detection
/// starts inside the occasion, `Some(0)` otherwise. A detection inside an NA occasion is
/// not used (the occasion stays NA).
pub fn history(
    operating: &[(i64, i64)],
    detections: &[i64],
    occasion_starts: &[i64],
    occasion_len_ms: i64,
    min_fraction: f64,
) -> Vec<Option<u8>> {
    occasion_starts
        .iter()
        .map(|&s| {
            let e = s + occasion_len_ms;
            let on = overlap_ms(operating, s, e) as f64 / occasion_len_ms as f64;
            if on < min_fraction || on <= 0.0 {
                None
            } else if detections.iter().any(|&t| s <= t && t < e) {
                Some(1)
            } else {
                Some(0)
            }
        })
        .collect()
}
