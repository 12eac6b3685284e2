//! The `trailmesh` binary as a person uses it: real processes, real files, real databases.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trailmesh"));
    // Run outside the repository so configs/trailmesh.toml is not picked up implicitly,
    // and without inherited overrides.
    c.current_dir(std::env::temp_dir());
    for (k, _) in std::env::vars() {
        if k.starts_with("TRAILMESH") {
            c.env_remove(k);
        }
    }
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run trailmesh")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "trailmesh {args:?} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn status(data: &Path) -> serde_json::Value {
    let out = ok(&["status", "--data-dir", data.to_str().unwrap()]);
    let json = &out[out.find('{').expect("JSON in status output")..];
    serde_json::from_str(json).expect("status JSON")
}

#[test]
fn help_explains_every_command() {
    let out = ok(&["--help"]);
    for cmd in ["up", "demo", "import", "export", "status", "--data-dir"] {
        assert!(out.contains(cmd), "--help mentions {cmd}:\n{out}");
    }
    let out = ok(&["import", "--help"]);
    assert!(
        out.contains("MegaDetector") && out.contains("Camtrap DP") && out.contains("--utc-offset"),
        "{out}"
    );
    let out = ok(&["export", "--help"]);
    assert!(out.contains("camtrap-dp") && out.contains("megadetector"), "{out}");
}

#[test]
fn data_dir_is_accepted_before_and_after_the_command() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    ok(&["--data-dir", a.to_str().unwrap(), "status"]);
    ok(&["status", "--data-dir", b.to_str().unwrap()]);
    assert!(a.join("trailmesh.db").is_file());
    assert!(b.join("trailmesh.db").is_file());
}

#[test]
fn import_export_and_reimport_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let md = fixture("skills/core/tests/fixtures/megadetector/speciesnet-1.6.json");
    let out = ok(&["import", md.to_str().unwrap(), "--data-dir", d]);
    assert!(out.contains("media") && out.contains("5 new"), "{out}");
    let out = ok(&["import", md.to_str().unwrap(), "--data-dir", d]);
    assert!(out.contains("nothing new"), "{out}");

    let md_out = tmp.path().join("export/results.json");
    let out = ok(&["export", "megadetector", md_out.to_str().unwrap(), "--data-dir", d]);
    assert!(out.contains("5 images"), "{out}");
    let other = tmp.path().join("other");
    ok(&[
        "import",
        md_out.to_str().unwrap(),
        "--data-dir",
        other.to_str().unwrap(),
    ]);
    let (s1, s2) = (status(&data), status(&other));
    for table in ["media", "detections", "cameras", "species"] {
        assert_eq!(s1[table], s2[table], "{table}: {s1} vs {s2}");
    }
}

#[test]
fn bad_input_is_refused_with_file_line_and_field_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let md = fixture("skills/core/tests/fixtures/megadetector/speciesnet-1.6.json");
    ok(&["import", md.to_str().unwrap(), "--data-dir", d]);
    let before = status(&data);

    let text = std::fs::read_to_string(&md)
        .unwrap()
        .replacen("\"conf\": 0.93", "\"conf\": 1.93", 1);
    let bad = tmp.path().join("bad-results.json");
    std::fs::write(&bad, text).unwrap();
    let out = run(&["import", bad.to_str().unwrap(), "--data-dir", d]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad-results.json") && err.contains("line 27") && err.contains("images[0].detections[0].conf"),
        "{err}"
    );
    assert!(err.contains("unchanged"), "{err}");
    assert_eq!(status(&data), before);

    let out = run(&[
        "import",
        tmp.path().join("missing.json").to_str().unwrap(),
        "--data-dir",
        d,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
}

#[test]
fn a_typo_in_the_config_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("bad.toml");
    std::fs::write(&cfg, "[storage]\ndatabase_url = \"x\"\n").unwrap();
    let out = run(&[
        "--config",
        cfg.to_str().unwrap(),
        "status",
        "--data-dir",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("database_url") && err.contains("bad.toml"), "{err}");
}

#[test]
fn up_starts_prints_where_things_are_and_stops_on_ctrl_c() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "up",
            "--no-demo",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            tmp.path().to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("Ctrl-C") {
            break;
        }
    }
    assert!(seen.contains("is up") && seen.contains("database:"), "{seen}");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            assert!(code.success(), "clean exit on Ctrl-C: {code:?}");
            break;
        }
        assert!(Instant::now() < deadline, "trailmesh up did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn postgres_is_selected_by_url() {
    let base = std::env::var("TRAILMESH_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("tm_cli_{}", std::process::id());
    // The schema must exist before search_path points at it; the binary creates the tables.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = sqlx::PgPool::connect(&base)
            .await
            .expect("PostgreSQL reachable (tests/run-all.sh starts it)");
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let url = format!("{base}?options=-c%20search_path%3D{schema}");
    let tmp = tempfile::tempdir().unwrap();
    let md = fixture("skills/core/tests/fixtures/megadetector/speciesnet-1.6.json");
    let out = bin()
        .args([
            "import",
            md.to_str().unwrap(),
            "--data-dir",
            tmp.path().to_str().unwrap(),
        ])
        .env("TRAILMESH_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = bin().args(["status", "--database", &url]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Postgres") && text.contains("\"media\": 5"), "{text}");
    assert!(
        !tmp.path().join("trailmesh.db").exists(),
        "no SQLite file when PostgreSQL is selected"
    );
    rt.block_on(async {
        let pool = sqlx::PgPool::connect(&base).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
}

#[test]
fn demo_seed_writes_data_and_truth_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let out = ok(&["demo", "seed", "--days", "6", "--scale", "0.3", "--data-dir", d]);
    assert!(out.contains("events") && out.contains("ground truth"), "{out}");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo-truth.json")).unwrap()).unwrap();
    let s = status(&data);
    assert_eq!(
        s["events"], truth["totals"]["events"],
        "the truth counts what was written: {s}"
    );
    assert!(s["cameras"].as_i64().unwrap() >= 12, "{s}");
    let out = ok(&["demo", "seed", "--days", "6", "--scale", "0.3", "--data-dir", d]);
    assert!(out.contains("nothing new"), "{out}");
    assert_eq!(status(&data), s);
}

#[test]
fn camtrap_dp_export_imports_back_into_an_empty_database() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    ok(&["demo", "seed", "--days", "4", "--scale", "0.2", "--data-dir", d]);
    let pkg = tmp.path().join("package");
    let out = ok(&[
        "export",
        "camtrap-dp",
        pkg.to_str().unwrap(),
        "--title",
        "CLI test",
        "--data-dir",
        d,
    ]);
    assert!(out.contains("Camtrap DP 1.0.2"), "{out}");
    for f in ["datapackage.json", "deployments.csv", "media.csv", "observations.csv"] {
        assert!(pkg.join(f).is_file(), "{f} written");
    }
    let other = tmp.path().join("other");
    ok(&["import", pkg.to_str().unwrap(), "--data-dir", other.to_str().unwrap()]);
    let (a, b) = (status(&data), status(&other));
    for table in [
        "deployments",
        "malfunctions",
        "media",
        "events",
        "detections",
        "species",
    ] {
        assert_eq!(a[table], b[table], "{table}: {a} vs {b}");
    }
    // A package that is not one: the error names the file.
    std::fs::write(pkg.join("media.csv"), "{\"not\": \"csv\"}\n").unwrap();
    let out = run(&[
        "import",
        pkg.to_str().unwrap(),
        "--data-dir",
        tmp.path().join("third").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("media.csv"));
}

/// `trailmesh` with the ONNX Runtime cache of the test environment (run-all.sh provisions it
/// with `trailmesh vision setup`).
fn vision_bin(args: &[&str]) -> Output {
    let mut c = bin();
    if let Some(cache) = std::env::var_os("TRAILMESH_CACHE_DIR") {
        c.env("TRAILMESH_CACHE_DIR", cache);
    }
    c.args(args).output().expect("run trailmesh")
}

#[test]
fn import_with_detect_stores_boxes_events_and_thumbnails() {
    let tmp = tempfile::tempdir().unwrap();
    let card = tmp.path().join("MEADOW-02");
    std::fs::create_dir_all(&card).unwrap();
    let photos = fixture("skills/vision/tests/fixtures");
    std::fs::copy(photos.join("horses.jpg"), card.join("IMG_20240501_061200.jpg")).unwrap();
    std::fs::copy(photos.join("grass.png"), card.join("IMG_20240501_090000.png")).unwrap();
    let data = tmp.path().join("data");
    let data_arg = data.to_str().unwrap();
    let out = vision_bin(&["import", card.to_str().unwrap(), "--detect", "--data-dir", data_arg]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "import --detect failed:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("boxes") && stdout.contains("events"),
        "{stdout}\n{stderr}"
    );
    let counts = status(&data);
    assert_eq!(counts["media"], 2, "{counts}");
    assert_eq!(counts["events"], 1, "{counts}");
    assert!(counts["detections"].as_i64().unwrap() >= 4, "four horses: {counts}");
    let thumbs: Vec<_> = std::fs::read_dir(data.join("thumbnails")).unwrap().collect();
    assert_eq!(thumbs.len(), 1, "one thumbnail per event");

    let out = vision_bin(&["vision", "detect", photos.join("grass.png").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let boxes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        boxes
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let out = run(&[
        "import",
        fixture("README.md").to_str().unwrap(),
        "--detect",
        "--data-dir",
        data_arg,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("folder imports only"));
}
