//! Hand-computed values on tiny fixed data sets, for the pure maths in `stats`.

use trailmesh_behavior_analytics::stats::{effort, migration, occupancy};

const MIN: i64 = 60_000;
const DAY: i64 = effort::DAY_MS;

#[test]
fn independence_counts_from_the_previous_counted_detection() {
    // DOMAIN.md: 0, 10, 35, 50, 70 minutes with T = 30 -> counted at 0, 35 and 70 (50 is
    // only 15 after the counted 35; 35 counts because 0 was counted, although 10 was not).
    let t: Vec<i64> = [0, 10, 35, 50, 70].iter().map(|m| m * MIN).collect();
    assert_eq!(effort::independent(&t, 30 * MIN), vec![true, false, true, false, true]);
    assert_eq!(effort::count_independent(&t, 30 * MIN), 3);
    // Exactly T apart counts; T = 0 counts everything; a huge T counts only the first.
    assert_eq!(effort::count_independent(&[0, 30 * MIN, 60 * MIN], 30 * MIN), 3);
    assert_eq!(effort::count_independent(&t, 0), 5);
    assert_eq!(effort::count_independent(&t, 1000 * MIN), 1);
    assert_eq!(effort::count_independent(&[], 30 * MIN), 0);
}

#[test]
fn effort_subtracts_malfunctions_and_clips_to_the_window() {
    // Deployed days 0..10, broken 2.5..4, asked for days 1..9: 1.5 + 5 = 6.5 trap-nights.
    let op = effort::operating_intervals((0, 10 * DAY), &[(5 * DAY / 2, 4 * DAY)], DAY, 9 * DAY);
    assert_eq!(op, vec![(DAY, 5 * DAY / 2), (4 * DAY, 9 * DAY)]);
    assert!((effort::days(&op) - 6.5).abs() < 1e-12);
    // Overlapping malfunctions are not subtracted twice; one outside the window not at all.
    let op = effort::operating_intervals(
        (0, 10 * DAY),
        &[(2 * DAY, 4 * DAY), (3 * DAY, 5 * DAY), (20 * DAY, 21 * DAY)],
        0,
        10 * DAY,
    );
    assert!((effort::days(&op) - 7.0).abs() < 1e-12);
    // A window outside the deployment gives nothing.
    assert!(effort::operating_intervals((0, DAY), &[], 2 * DAY, 3 * DAY).is_empty());
    // RAI: 3 independent detections over 6.5 trap-nights = 46.1538... per 100.
    assert!((effort::rai(3, 6.5).unwrap() - 300.0 / 6.5).abs() < 1e-12);
    assert_eq!(effort::rai(3, 0.0), None);
}

#[test]
fn detection_history_marks_na_below_the_operating_fraction() {
    // Operating days 0..1.4 and 2.2..4; occasions of one day from 0.
    // Occasion 0: 100% operating, detection at 0.5 -> 1.
    // Occasion 1: 40% operating -> NA, although a detection at 1.2 lies in it.
    // Occasion 2: 80% operating, no detection -> 0.
    // Occasion 3: 100%, detection at 3.7 -> 1.
    let op = vec![(0, 14 * DAY / 10), (22 * DAY / 10, 4 * DAY)];
    let det = vec![DAY / 2, 12 * DAY / 10, 37 * DAY / 10];
    let starts: Vec<i64> = (0..4).map(|i| i * DAY).collect();
    let h = effort::history(&op, &det, &starts, DAY, 0.5);
    assert_eq!(h, vec![Some(1), None, Some(0), Some(1)]);
    // With a 30% threshold occasion 1 is surveyed and has the detection.
    let h = effort::history(&op, &det, &starts, DAY, 0.3);
    assert_eq!(h, vec![Some(1), Some(1), Some(0), Some(1)]);
    // Two-day occasions: [0,2) operates 70% with detections -> 1; [2,4) 90% -> 1.
    let h = effort::history(&op, &det, &[0, 2 * DAY], 2 * DAY, 0.5);
    assert_eq!(h, vec![Some(1), Some(1)]);
}

fn data(rows: &[(u32, u32)]) -> Vec<occupancy::StationData> {
    rows.iter()
        .map(|&(detections, surveyed)| occupancy::StationData { detections, surveyed })
        .collect()
}

#[test]
fn occupancy_mle_satisfies_the_closed_form_equations() {
    // Every station surveyed n = 5 times. With S stations, S_D of them detected and Y
    // detections in all, the MLE solves (MacKenzie et al. 2002; MacKenzie et al. 2006
    // "Occupancy Estimation and Modeling", section 4.3):
    //   psi * (1 - (1-p)^n) = S_D / S      and      p / (1 - (1-p)^n) = Y / (n S_D).
    let rows = [
        (0, 5),
        (0, 5),
        (0, 5),
        (2, 5),
        (1, 5),
        (3, 5),
        (0, 5),
        (1, 5),
        (0, 5),
        (0, 5),
        (2, 5),
        (0, 5),
    ];
    let fit = occupancy::fit(&data(&rows)).unwrap();
    let (s, sd, y, n) = (12.0, 5.0, 9.0, 5.0);
    let pstar = 1.0 - (1.0 - fit.p).powf(n);
    assert!((fit.psi * pstar - sd / s).abs() < 1e-6, "psi p* = {}", fit.psi * pstar);
    assert!((fit.p / pstar - y / (n * sd)).abs() < 1e-6, "p/p* = {}", fit.p / pstar);
    assert!(!fit.at_boundary);
    // AIC and the log-likelihood agree with a direct evaluation.
    let ll = occupancy::log_likelihood(&data(&rows), fit.psi, fit.p);
    assert!((fit.log_likelihood - ll).abs() < 1e-9);
    assert!((fit.aic - (-2.0 * ll + 4.0)).abs() < 1e-9);
    assert!(fit.se_logit.is_some());
}

#[test]
fn occupancy_mle_beats_a_brute_force_grid_with_unequal_effort() {
    // NA occasions make the numbers of surveys unequal: no closed form, so search a fine
    // grid (step 0.0005 in psi and p) and require our optimum to be at least as good and
    // within one grid step of the grid's best.
    let rows = [
        (0, 3),
        (1, 7),
        (0, 7),
        (4, 6),
        (0, 2),
        (2, 7),
        (0, 5),
        (0, 7),
        (1, 4),
        (0, 6),
    ];
    let d = data(&rows);
    let fit = occupancy::fit(&d).unwrap();
    let (mut best, mut arg) = (f64::NEG_INFINITY, (0.0, 0.0));
    let step = 0.0005;
    let mut psi = step;
    while psi < 1.0 {
        let mut p = step;
        while p < 1.0 {
            let l = occupancy::log_likelihood(&d, psi, p);
            if l > best {
                best = l;
                arg = (psi, p);
            }
            p += step;
        }
        psi += step;
    }
    assert!(
        fit.log_likelihood >= best - 1e-9,
        "{} < grid {}",
        fit.log_likelihood,
        best
    );
    assert!(
        (fit.psi - arg.0).abs() <= 2.0 * step,
        "psi {} vs grid {}",
        fit.psi,
        arg.0
    );
    assert!((fit.p - arg.1).abs() <= 2.0 * step, "p {} vs grid {}", fit.p, arg.1);
}

#[test]
fn occupancy_reports_the_boundary_when_every_station_detects() {
    let fit = occupancy::fit(&data(&[(3, 5), (2, 5), (4, 5), (1, 5)])).unwrap();
    assert!(fit.psi > 0.999 && fit.at_boundary, "{fit:?}");
}

#[test]
fn migration_regression_recovers_an_exact_line() {
    // Median dates exactly 3 + 0.5 * position: slope 0.5 day/km -> 2 km/day, R^2 = 1.
    let pts = [(0.0, 3.0), (2.0, 4.0), (4.0, 5.0), (10.0, 8.0)];
    let f = migration::fit_line(&pts).unwrap();
    assert!((f.slope - 0.5).abs() < 1e-12 && (f.intercept - 3.0).abs() < 1e-12);
    assert!((f.r_squared - 1.0).abs() < 1e-12 && f.slope_se.abs() < 1e-9);
    // Hand-computed noisy case: x = 0,1,2,3, y = 1,3,2,5: Sxx = 5, Sxy = 5.5, slope 1.1,
    // intercept 2.75 - 1.1 * 1.5 = 1.1, Syy = 8.75, R^2 = 30.25 / 43.75, RSS = 8.75 - 6.05 = 2.7,
    // se = sqrt(2.7 / 2 / 5).
    let f = migration::fit_line(&[(0.0, 1.0), (1.0, 3.0), (2.0, 2.0), (3.0, 5.0)]).unwrap();
    assert!((f.slope - 1.1).abs() < 1e-12 && (f.intercept - 1.1).abs() < 1e-12);
    assert!((f.r_squared - 30.25 / 43.75).abs() < 1e-12);
    assert!((f.slope_se - (2.7f64 / 2.0 / 5.0).sqrt()).abs() < 1e-12);
    // A wave along bearing 30 degrees at 4 km/day: the axis search finds 30 and slope 0.25.
    let cams: Vec<(f64, f64, f64)> = [(0.0, 0.0), (3.0, 1.0), (-2.0, 5.0), (4.0, 8.0), (1.0, -3.0)]
        .iter()
        .map(|&(e, n)| (e, n, 10.0 + 0.25 * migration::project(e, n, 30.0)))
        .collect();
    let (b, f) = migration::fit_wave(&cams, None).unwrap();
    assert_eq!(b, 30.0);
    assert!((f.slope - 0.25).abs() < 1e-9 && f.r_squared > 1.0 - 1e-12);
    assert_eq!(migration::median(&[5.0, 1.0, 3.0, 9.0]), 4.0);
    assert!((migration::t975(4) - 2.776).abs() < 1e-9);
}
