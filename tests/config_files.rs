//! Every configuration file we ship parses, validates and means what it says.

use std::path::Path;
use trailmesh::config::Config;

#[test]
fn every_shipped_config_file_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            Config::from_file(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            seen += 1;
        }
    }
    assert!(seen >= 2, "expected the shipped configs in {}", dir.display());
}

#[test]
fn the_default_config_is_the_built_in_default() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/trailmesh.toml");
    let shipped = Config::from_file(&path).unwrap();
    assert_eq!(
        shipped,
        Config::default(),
        "configs/trailmesh.toml documents the defaults; keep them equal"
    );
}

#[test]
fn the_postgres_config_selects_postgres() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/postgres.toml");
    let c = Config::from_file(&path).unwrap();
    assert!(c.database_url(Path::new("data")).starts_with("postgres://"));
    assert!(!c.demo.seed_on_first_start);
}
