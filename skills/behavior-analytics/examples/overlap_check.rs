//! Prints this crate's bandwidth, densities and overlap estimates for two samples of
//! activity times (radians), to compare with R's overlap package by hand:
//!
//! `cargo run -p trailmesh-behavior-analytics --example overlap_check -- samples.json A B`
//!
//! where `samples.json` is `{"A": [radians...], "B": [...]}` (for instance overlap's
//! `simulatedData` exported with pyreadr; see README.md for the figures).

use std::f64::consts::PI;
use trailmesh_behavior_analytics::stats::{diel, overlap};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: overlap_check SAMPLES.json NAME_A NAME_B");
        std::process::exit(2);
    }
    let text = std::fs::read_to_string(&args[1]).expect("read the samples file");
    let all: std::collections::BTreeMap<String, Vec<f64>> = serde_json::from_str(&text).expect("samples JSON");
    let a = overlap::unweighted(&all[&args[2]]);
    let b = overlap::unweighted(&all[&args[3]]);
    let grid = [0.0, PI / 2.0, PI, 1.5 * PI, 2.0 * PI];
    println!(
        "getBandWidth({}) = {:.6}",
        args[2],
        diel::bandwidth(&a, 3).unwrap_or(f64::NAN)
    );
    println!(
        "getBandWidth({}) = {:.6}",
        args[3],
        diel::bandwidth(&b, 3).unwrap_or(f64::NAN)
    );
    println!(
        "densityFit({}, grid, 30) = {:?}",
        args[2],
        diel::density(&a, &grid, 30.0)
    );
    println!(
        "densityFit({}, grid, 10) = {:?}",
        args[3],
        diel::density(&b, &grid, 10.0)
    );
    for (adj1, adj4) in [(0.8, 1.0), (1.2, 1.5)] {
        let d1 = overlap::overlap_est(&a, &b, overlap::Estimator::Dhat1, adj1).unwrap_or(f64::NAN);
        let d4 = overlap::overlap_est(&a, &b, overlap::Estimator::Dhat4, adj4).unwrap_or(f64::NAN);
        println!("overlapEst adjust=({adj1}, {adj4}): Dhat1 = {d1:.6}, Dhat4 = {d4:.6}");
    }
    if let Some(bs) = overlap::smoothed_bootstrap(&a, &b, overlap::Estimator::Dhat1, 0.8, 999, 123) {
        let m = bs.estimates.iter().sum::<f64>() / bs.estimates.len() as f64;
        println!("smoothed bootstrap Dhat1 (999, seed 123): mean {m:.6}");
    }
}
