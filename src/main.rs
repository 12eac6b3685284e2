//! `trailmesh`: parse flags, set up logging, run. Everything else lives in the library.

use clap::Parser;
use std::process::ExitCode;
use trailmesh::Cli;
use trailmesh_core::ImportError;

/// mimalloc: MCP and A2A calls allocate many small short-lived values (JSON trees, strings);
/// glibc's malloc spent about a fifth of an MCP tool call in malloc, free and consolidation.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(trailmesh::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if let Some(ImportError::Inputs(list)) = err.downcast_ref::<ImportError>() {
                eprintln!("error: {} problems in the input; nothing was imported:", list.len());
                const SHOWN: usize = 25;
                for e in list.iter().take(SHOWN) {
                    eprintln!("  {e}");
                }
                if list.len() > SHOWN {
                    eprintln!("  ... and {} more", list.len() - SHOWN);
                }
            } else {
                eprintln!("error: {err:#}");
                if err.downcast_ref::<ImportError>().is_some() {
                    eprintln!("nothing was imported; the database is unchanged");
                }
            }
            ExitCode::FAILURE
        }
    }
}
