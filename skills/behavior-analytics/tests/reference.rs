//! Compares the maths with independent Python implementations written from the papers
//! (`tests/reference/*.py`, numpy + scipy), on the same fixed data.
//!
//! Needs `TM_PYTHON`: a Python with numpy and scipy (tests/run-all.sh makes a venv and
//! exports it). Without it these tests FAIL with a message; they never skip.

use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use trailmesh_behavior_analytics::stats::{diel, occupancy, overlap};

fn python() -> String {
    let py = std::env::var("TM_PYTHON").unwrap_or_default();
    assert!(
        !py.is_empty(),
        "TM_PYTHON is not set: point it at a Python with numpy and scipy (bash tests/run-all.sh creates \
         skills/behavior-analytics/.venv and exports it), e.g. \
         TM_PYTHON=skills/behavior-analytics/.venv/bin/python cargo test -p trailmesh-behavior-analytics"
    );
    let ok = Command::new(&py)
        .args(["-c", "import numpy, scipy"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "TM_PYTHON={py} cannot import numpy and scipy: pip install numpy scipy into it"
    );
    py
}

fn run(script: &str, input: &Value) -> Value {
    let path = format!("{}/tests/reference/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(python())
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("reference JSON")
}

/// Deterministic pseudo-random activity times: a mixture of wrapped normals around given
/// peak angles (a small LCG, so the data are fixed and need no crate).
fn sample(seed: u64, n: usize, peaks: &[f64], sd: f64) -> Vec<f64> {
    let mut s = seed;
    let mut uniform = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|i| {
            let (u1, u2) = (uniform(), uniform());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            (peaks[i % peaks.len()] + sd * z).rem_euclid(std::f64::consts::TAU)
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    println!("{what}: rust {a:.12} reference {b:.12} diff {:.2e}", (a - b).abs());
    assert!(
        (a - b).abs() <= tol * b.abs().max(1.0),
        "{what}: rust {a} vs reference {b} (diff {})",
        (a - b).abs()
    );
}

#[test]
fn kernel_density_bandwidth_and_overlap_match_the_python_reference() {
    let sets = [
        ("small_a", sample(1, 30, &[1.2, 5.0], 0.5)),
        ("small_b", sample(2, 45, &[4.7], 0.8)),
        ("mid_a", sample(3, 70, &[1.6, 4.6], 0.45)),
        ("mid_b", sample(4, 60, &[0.3], 0.9)),
        ("big_a", sample(5, 200, &[1.5, 4.8], 0.4)),
        ("big_b", sample(6, 180, &[3.1], 1.2)),
    ];
    let grid: Vec<f64> = (0..24).map(|i| std::f64::consts::TAU * f64::from(i) / 24.0).collect();
    let pairs = [
        ("small_a", "small_b"),
        ("mid_a", "mid_b"),
        ("big_a", "big_b"),
        ("mid_a", "big_b"),
    ];
    let input = json!({
        "samples": sets.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "grid": grid,
        "grid_bw": {"small_a": 7.5, "big_b": 2.25},
        "pairs": pairs.iter().map(|(a, b)| json!([a, b, 0.8, 1.0])).collect::<Vec<_>>(),
    });
    let reference = run("overlap_ref.py", &input);
    let get = |name: &str| overlap::unweighted(&sets.iter().find(|s| s.0 == name).unwrap().1);
    for (name, _) in &sets {
        let bw = diel::bandwidth(&get(name), 3).unwrap();
        close(
            bw,
            reference["bandwidth"][name].as_f64().unwrap(),
            1e-7,
            &format!("bandwidth {name}"),
        );
    }
    for (name, nu) in [("small_a", 7.5), ("big_b", 2.25)] {
        let d = diel::density(&get(name), &grid, nu);
        for (i, v) in d.iter().enumerate() {
            close(
                *v,
                reference["density"][name][i].as_f64().unwrap(),
                1e-9,
                &format!("density {name}[{i}]"),
            );
        }
    }
    for (i, (a, b)) in pairs.iter().enumerate() {
        let d1 = overlap::overlap_est(&get(a), &get(b), overlap::Estimator::Dhat1, 0.8).unwrap();
        let d4 = overlap::overlap_est(&get(a), &get(b), overlap::Estimator::Dhat4, 1.0).unwrap();
        close(
            d1,
            reference["overlap"][i]["dhat1"].as_f64().unwrap(),
            1e-6,
            &format!("Dhat1 {a}/{b}"),
        );
        close(
            d4,
            reference["overlap"][i]["dhat4"].as_f64().unwrap(),
            1e-6,
            &format!("Dhat4 {a}/{b}"),
        );
    }
}

#[test]
fn occupancy_mle_matches_the_scipy_reference() {
    let cases: Vec<Vec<(u32, u32)>> = vec![
        vec![
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
        ],
        vec![
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
        ],
        vec![
            (5, 14),
            (0, 14),
            (3, 12),
            (0, 9),
            (7, 14),
            (1, 14),
            (0, 14),
            (2, 10),
            (0, 13),
            (4, 14),
            (0, 14),
            (0, 6),
        ],
    ];
    let reference = run("occupancy_ref.py", &json!({"cases": cases}));
    for (i, c) in cases.iter().enumerate() {
        let d: Vec<occupancy::StationData> = c
            .iter()
            .map(|&(detections, surveyed)| occupancy::StationData { detections, surveyed })
            .collect();
        let fit = occupancy::fit(&d).unwrap();
        let r = &reference[i];
        close(fit.psi, r["psi"].as_f64().unwrap(), 1e-6, &format!("case {i} psi"));
        close(fit.p, r["p"].as_f64().unwrap(), 1e-6, &format!("case {i} p"));
        close(
            fit.log_likelihood,
            r["loglik"].as_f64().unwrap(),
            1e-9,
            &format!("case {i} logLik"),
        );
        let (se_psi, se_p) = fit.se_logit.unwrap();
        // Finite-difference Hessians on both sides: agree to about 1e-4 relative.
        close(
            se_psi,
            r["se_logit_psi"].as_f64().unwrap(),
            1e-4,
            &format!("case {i} se(logit psi)"),
        );
        close(
            se_p,
            r["se_logit_p"].as_f64().unwrap(),
            1e-4,
            &format!("case {i} se(logit p)"),
        );
    }
}
