//! The `trailmesh` command: flags, configuration and the commands behind them.
//! `main.rs` only parses flags, sets up logging and calls [`run`].

pub mod agent;
pub mod config;
pub mod mcp;
mod progress;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use config::{Config, parse_utc_offset};
use progress::Bar;
use std::path::{Path, PathBuf};
use trailmesh_core::camtrap_dp;
use trailmesh_core::import::ImportSummary;
use trailmesh_core::media_folder::{self, FolderImportOptions};
use trailmesh_core::megadetector::{self, MdImportOptions};
use trailmesh_core::{Store, demo};

/// trailmesh: watch wildlife through trail cameras and ask questions about it, locally.
#[derive(Debug, Parser)]
#[command(name = "trailmesh", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts, before or after the command name.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where trailmesh keeps its database and files.
    #[arg(
        long,
        global = true,
        env = "TRAILMESH_DATA_DIR",
        default_value = "./data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,
    /// Configuration file (default: configs/trailmesh.toml when present).
    #[arg(long, global = true, env = "TRAILMESH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL, overriding the configuration: an SQLite file path or postgres://...
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run trailmesh on this machine: open (or create) the database, seed the demo study on
    /// first start, and serve until Ctrl-C.
    Up(UpArgs),
    /// Demo data: a synthetic study with known ground truth.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Import a MegaDetector results file (.json), a Camtrap DP package (folder or
    /// datapackage.json) or a folder of images/videos from an SD card.
    Import(ImportArgs),
    /// Export the database.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Show what the database holds.
    Status,
    /// Run a skill's MCP server: `trailmesh mcp camera-inventory --stdio` or `--http 127.0.0.1:PORT`.
    Mcp(mcp::McpArgs),
    /// Run one agent alone: a skill agent (A2A + MCP on one port) or the orchestrator.
    Agent(agent::AgentArgs),
    /// Run the camera gateway alone: WHIP ingest, WHEP relay, live detection into the
    /// database, camera health (`[gateway]` in the configuration).
    Gateway(agent::GatewayArgs),
    /// The vision pipeline (detector, tracker, events).
    #[command(subcommand)]
    Vision(VisionCommand),
}

#[derive(Debug, Subcommand)]
pub enum VisionCommand {
    /// Provision ONNX Runtime for the detector: fetch the PyPI onnxruntime 1.31.1 wheel with
    /// pip, verify it, keep its library in the cache directory, and load the model once.
    Setup {
        /// Python with pip used to fetch the wheel.
        #[arg(long, default_value = "python3", value_name = "PYTHON")]
        python: String,
    },
    /// Run the detector on image files and print the boxes as JSON (nothing is stored).
    Detect {
        /// Image files.
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Address of the HTTP API (default from the configuration: 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Do not seed demo data into an empty database.
    #[arg(long)]
    pub no_demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Generate the demo study into the database (idempotent: the same seed adds nothing
    /// the second time) and write its ground truth to DATA_DIR/demo-truth.json.
    Seed(DemoSeedArgs),
}

#[derive(Debug, Args)]
pub struct DemoSeedArgs {
    /// Random seed (same seed, same study).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Length of the study in days.
    #[arg(long)]
    pub days: Option<u32>,
    /// First day of the study, YYYY-MM-DD.
    #[arg(long)]
    pub start: Option<String>,
    /// Activity multiplier: 1 gives tens of thousands of events, 40 about a million.
    #[arg(long)]
    pub scale: Option<f64>,
    /// Where to write the ground truth (default: DATA_DIR/demo-truth.json).
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
}

/// What kind of thing is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Decide from the path: a folder with datapackage.json, a .json results file, a folder of media.
    Auto,
    /// MegaDetector batch output (format 1.x).
    Megadetector,
    /// Camtrap DP 1.0.x package.
    CamtrapDp,
    /// A folder of images / videos.
    Folder,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// File or folder to import.
    pub path: PathBuf,
    /// What it is.
    #[arg(long, value_enum, default_value_t = ImportFormat::Auto)]
    pub format: ImportFormat,
    /// Camera the media belong to (folder and MegaDetector imports; default: the folder name).
    #[arg(long, value_name = "ID")]
    pub camera: Option<String>,
    /// UTC offset of the camera clocks, for times written without a zone, e.g. -06:00.
    #[arg(long, value_name = "+HH:MM", allow_hyphen_values = true)]
    pub utc_offset: Option<String>,
    /// Folder holding the images named in a MegaDetector file (default: the file's folder).
    #[arg(long, value_name = "DIR")]
    pub media_root: Option<PathBuf>,
    /// Drop MegaDetector detections below this confidence.
    #[arg(long, value_name = "0..1")]
    pub min_confidence: Option<f64>,
    /// Folder import: skip files that are not what their name says instead of refusing all.
    #[arg(long)]
    pub skip_bad: bool,
    /// Folder import: also run the detector, tracker and event segmenter (`[vision]` in the
    /// configuration; needs `trailmesh vision setup` once, and FFmpeg for videos). Event
    /// thumbnails go to DATA_DIR/thumbnails.
    #[arg(long)]
    pub detect: bool,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Camtrap DP 1.0.2 package (datapackage.json, deployments.csv, media.csv, observations.csv).
    CamtrapDp {
        /// Output folder (created if missing).
        dir: PathBuf,
        /// Project title written to datapackage.json.
        #[arg(long)]
        title: Option<String>,
    },
    /// MegaDetector batch output 1.6 JSON.
    Megadetector {
        /// Output file.
        file: PathBuf,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let mut config = Config::load(cli.global.config.as_deref())?;
    if let Some(db) = &cli.global.database {
        config.storage.database = Some(db.clone());
    }
    let data_dir = cli.global.data_dir.clone();
    match cli.command {
        Command::Up(args) => up(&config, &data_dir, args).await,
        Command::Demo(DemoCommand::Seed(args)) => {
            let store = open_store(&config, &data_dir).await?;
            demo_seed(&store, &config, &data_dir, &args).await?;
            store.close().await;
            Ok(())
        }
        Command::Import(args) => {
            let store = open_store(&config, &data_dir).await?;
            let result = import(&store, &config, &data_dir, &args).await;
            store.close().await;
            let summary = result?;
            print_summary(&summary);
            Ok(())
        }
        Command::Export(cmd) => {
            let store = open_store(&config, &data_dir).await?;
            let result = export(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Mcp(args) => mcp::run(&config, &data_dir, args).await,
        Command::Agent(args) => agent::run(&config, &data_dir, args).await,
        Command::Gateway(args) => agent::run_gateway(&config, &data_dir, args).await,
        Command::Vision(cmd) => vision(&config, cmd),
        Command::Status => {
            let store = open_store(&config, &data_dir).await?;
            let counts = store.counts().await?;
            println!("database: {} ({:?})", config.database_url(&data_dir), store.backend());
            println!("{}", serde_json::to_string_pretty(&counts)?);
            store.close().await;
            Ok(())
        }
    }
}

/// Opens the configured database, creating the data directory when needed.
pub async fn open_store(config: &Config, data_dir: &Path) -> Result<Store> {
    let url = config.database_url(data_dir);
    if config.storage.database.is_none() {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    }
    Store::open(&url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&url)))
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn up(config: &Config, data_dir: &Path, args: UpArgs) -> Result<()> {
    let listen = args.listen.unwrap_or_else(|| config.server.listen.clone());
    let listen_addr = listen
        .parse::<std::net::SocketAddr>()
        .with_context(|| format!("--listen '{listen}' is not an address like 127.0.0.1:8080"))?;
    let store = open_store(config, data_dir).await?;
    let counts = store.counts().await?;
    if counts.events == 0 && counts.media == 0 && config.demo.seed_on_first_start && !args.no_demo {
        eprintln!("empty database: seeding the demo study (use --no-demo to skip)");
        let seed_args = DemoSeedArgs {
            seed: None,
            days: None,
            start: None,
            scale: None,
            truth: None,
        };
        demo_seed(&store, config, data_dir, &seed_args).await?;
    }
    let counts = store.counts().await?;
    // Listen for Ctrl-C / SIGTERM before saying we are up, so a stop request that follows
    // the message at once is never lost.
    let shutdown = ShutdownSignal::install()?;
    let stop = tokio_util::sync::CancellationToken::new();
    let (agents, api) = agent::start_mesh(config, &store, listen_addr, &stop).await?;
    let gateway = agent::start_gateway(config, &store, data_dir, None, &stop).await?;
    println!("trailmesh {} is up", env!("CARGO_PKG_VERSION"));
    println!(
        "  database:  {} ({:?})",
        redact(&config.database_url(data_dir)),
        store.backend()
    );
    println!(
        "  holds:     {} cameras, {} deployments, {} events, {} media, {} detections",
        counts.cameras, counts.deployments, counts.events, counts.media, counts.detections
    );
    agent::print_urls(&agents, &api.base_url);
    agent::print_gateway(config, &gateway);
    println!("press Ctrl-C to stop");
    shutdown.wait().await;
    eprintln!("shutting down");
    stop.cancel();
    let mut result = api.finished().await;
    result = result.and(gateway.finished().await);
    for a in agents {
        if let Err(e) = a.finished().await {
            result = result.and(Err(e));
        }
    }
    store.close().await;
    result
}

/// Ctrl-C (SIGINT) or SIGTERM, registered when installed rather than when first awaited.
pub(crate) struct ShutdownSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    pub(crate) fn install() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(ShutdownSignal {
                interrupt: signal(SignalKind::interrupt()).context("installing the Ctrl-C handler")?,
                terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignal {})
    }

    pub(crate) async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn demo_seed(store: &Store, config: &Config, data_dir: &Path, args: &DemoSeedArgs) -> Result<()> {
    let mut settings = config.demo.clone();
    if let Some(s) = args.seed {
        settings.seed = s;
    }
    if let Some(d) = args.days {
        settings.days = d;
    }
    if let Some(s) = &args.start {
        settings.start = s.clone();
    }
    if let Some(s) = args.scale {
        settings.scale = s;
    }
    let cfg = settings.to_demo_config()?;
    let bar = Bar::new();
    let (summary, truth) = demo::seed(store, &cfg, &bar).await?;
    let truth_path = args.truth.clone().unwrap_or_else(|| data_dir.join("demo-truth.json"));
    if let Some(dir) = truth_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Pretty for the standard study (people read it); compact for benchmark sizes, where
    // the per-event list runs to hundreds of megabytes.
    let bytes = if cfg.scale <= 2.0 {
        serde_json::to_vec_pretty(&truth)?
    } else {
        serde_json::to_vec(&truth)?
    };
    std::fs::write(&truth_path, bytes).with_context(|| format!("cannot write {}", truth_path.display()))?;
    print_summary(&summary);
    println!("ground truth: {}", truth_path.display());
    Ok(())
}

async fn import(store: &Store, config: &Config, data_dir: &Path, args: &ImportArgs) -> Result<ImportSummary> {
    let path = &args.path;
    if !path.exists() {
        bail!("{}: no such file or folder", path.display());
    }
    let format = match args.format {
        ImportFormat::Auto => detect_format(path),
        f => f,
    };
    let utc_offset_min = parse_utc_offset(args.utc_offset.as_deref().unwrap_or(&config.import.utc_offset))?;
    if args.detect && format != ImportFormat::Folder && format != ImportFormat::Auto {
        bail!("--detect works on folder imports only (this is a {format:?} import)");
    }
    let bar = Bar::new();
    let summary = match format {
        ImportFormat::CamtrapDp => camtrap_dp::import_package(store, path, &bar).await?,
        ImportFormat::Megadetector => {
            let opts = MdImportOptions {
                camera: args.camera.clone(),
                utc_offset_min,
                media_root: args.media_root.clone(),
                min_confidence: args.min_confidence.unwrap_or(config.import.min_confidence),
            };
            megadetector::import_file(store, path, &opts, &bar).await?
        }
        ImportFormat::Folder | ImportFormat::Auto => {
            let opts = FolderImportOptions {
                camera: args.camera.clone(),
                utc_offset_min,
                skip_bad: args.skip_bad,
            };
            if args.detect {
                let detector = std::sync::Arc::new(trailmesh_vision::Detector::load(&config.vision)?);
                let opts = trailmesh_vision::pipeline::DetectImportOptions {
                    folder: opts,
                    thumbnails: Some(data_dir.join("thumbnails")),
                };
                let (summary, stats, to_describe) = trailmesh_vision::pipeline::import_folder_with_detection(
                    store,
                    detector.clone(),
                    &config.vision,
                    path,
                    &opts,
                    &bar,
                )
                .await?;
                eprintln!(
                    "detector {}: {} frames, {} sent to the detector, {} boxes, {} tracks, {} events",
                    detector.name(),
                    stats.frames,
                    stats.gated_in,
                    stats.boxes,
                    stats.tracks,
                    stats.events
                );
                let d = &config.vision.describe;
                if d.enabled && !to_describe.is_empty() {
                    let described =
                        trailmesh_camera_gateway::describe::describe_imported(store, d, to_describe, &bar).await?;
                    let count = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
                    eprintln!(
                        "{} at {}: {} events described, {} not ({})",
                        d.model,
                        d.url,
                        count(&described.described),
                        count(&described.failed),
                        described
                            .last_error
                            .lock()
                            .ok()
                            .and_then(|e| e.clone())
                            .unwrap_or_else(|| "no failures".into())
                    );
                }
                summary
            } else {
                media_folder::import_folder(store, path, &opts, &bar).await?
            }
        }
    };
    Ok(summary)
}

fn vision(config: &Config, cmd: VisionCommand) -> Result<()> {
    use trailmesh_vision::runtime;
    match cmd {
        VisionCommand::Setup { python } => {
            let cache = runtime::cache_dir();
            let lib = match config.vision.onnxruntime.as_deref() {
                Some(p) => runtime::find_library(Some(p), &cache)?,
                None => match runtime::find_library(None, &cache) {
                    Ok(p) => p,
                    Err(_) => runtime::provision(&cache, &python)?,
                },
            };
            println!("ONNX Runtime: {}", lib.display());
            let detector = trailmesh_vision::Detector::load(&config.vision)?;
            println!(
                "detector: {} ({}), input {} ({}), batch {}",
                detector.name(),
                config.vision.model_path().display(),
                detector.input_size(),
                detector.padding(),
                detector.batch_size()
            );
            Ok(())
        }
        VisionCommand::Detect { images } => {
            let detector = trailmesh_vision::Detector::load(&config.vision)?;
            let mut out = serde_json::Map::new();
            for path in images {
                let img = trailmesh_vision::pipeline::read_image(&path)?;
                let boxes: Vec<serde_json::Value> = detector
                    .detect(&img)?
                    .iter()
                    .map(|b| {
                        serde_json::json!({
                            "conf": (b.score * 1000.0).round() / 1000.0,
                            "box_px": [b.x0.round(), b.y0.round(), b.x1.round(), b.y1.round()],
                        })
                    })
                    .collect();
                out.insert(path.display().to_string(), boxes.into());
            }
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
    }
}

/// Guesses the format of an import path.
pub fn detect_format(path: &Path) -> ImportFormat {
    if path.is_dir() {
        if path.join("datapackage.json").is_file() {
            ImportFormat::CamtrapDp
        } else {
            ImportFormat::Folder
        }
    } else if path.file_name().is_some_and(|n| n == "datapackage.json") {
        ImportFormat::CamtrapDp
    } else {
        ImportFormat::Megadetector
    }
}

async fn export(store: &Store, cmd: ExportCommand) -> Result<()> {
    let bar = Bar::new();
    match cmd {
        ExportCommand::CamtrapDp { dir, title } => {
            let opts = camtrap_dp::ExportOptions { title, created: None };
            let s = camtrap_dp::export_package(store, &dir, &opts, &bar).await?;
            println!(
                "wrote Camtrap DP 1.0.2 package {}: {} deployments, {} media, {} observations",
                s.dir.display(),
                s.deployments,
                s.media,
                s.observations
            );
        }
        ExportCommand::Megadetector { file } => {
            let n = megadetector::export_file(store, &file, &bar).await?;
            println!("wrote MegaDetector 1.6 results {}: {n} images", file.display());
        }
    }
    Ok(())
}

fn print_summary(s: &ImportSummary) {
    let r = &s.report;
    println!("imported {} ({})", s.source, s.kind);
    for (name, c) in [
        ("cameras", r.cameras),
        ("deployments", r.deployments),
        ("malfunctions", r.malfunctions),
        ("species", r.species),
        ("media", r.media),
        ("events", r.events),
        ("tracks", r.tracks),
        ("detections", r.detections),
    ] {
        if c.inserted + c.existing > 0 {
            println!("  {name:<13} {:>9} new {:>9} already there", c.inserted, c.existing);
        }
    }
    if r.inserted() == 0 {
        println!("  nothing new: this was imported before");
    }
    const SHOWN: usize = 10;
    for w in s.warnings.iter().take(SHOWN) {
        println!("  warning: {w}");
    }
    if s.warnings.len() > SHOWN {
        println!("  ... and {} more warnings", s.warnings.len() - SHOWN);
    }
}
