//! ONNX Runtime: where the library is, how it gets there, and the one process-wide
//! environment.
//!
//! `ort` is built with `load-dynamic` and downloads nothing. The library comes from the PyPI
//! wheel `onnxruntime==1.31.1` (its `onnxruntime/capi/libonnxruntime.so.1.31.1` needs no
//! Python at run time): [`provision`] asks pip for the wheel pinned to one platform, checks
//! the wheel's and the library's SHA-256, and keeps the library in
//! `<cache>/onnxruntime-1.31.1/`. That happens once (`trailmesh vision setup`, or the first
//! detection run). An explicit path (config `vision.onnxruntime` or `ORT_DYLIB_PATH`) is used
//! as given.

use crate::config::ExecutionProvider;
use crate::{Result, VisionError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The ONNX Runtime release `ort` 2.0.0-rc.15 wraps.
pub const ORT_VERSION: &str = "1.31.1";
/// The wheel the library comes from (pinned platform, so the local Python does not matter).
pub const WHEEL_FILE: &str = "onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl";
/// SHA-256 of [`WHEEL_FILE`].
pub const WHEEL_SHA256: &str = "5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f";
/// The library inside the wheel.
pub const LIB_IN_WHEEL: &str = "onnxruntime/capi/libonnxruntime.so.1.31.1";
/// File name of the cached library.
pub const LIB_FILE: &str = "libonnxruntime.so.1.31.1";
/// SHA-256 of [`LIB_FILE`].
pub const LIB_SHA256: &str = "fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3";

/// The cache directory: `$TRAILMESH_CACHE_DIR`, else `$XDG_CACHE_HOME/trailmesh`, else
/// `~/.cache/trailmesh`, else `./data/cache`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TRAILMESH_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("trailmesh");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(h).join(".cache").join("trailmesh");
    }
    PathBuf::from("data").join("cache")
}

/// Where the provisioned library lives under `cache`.
pub fn cached_library(cache: &Path) -> PathBuf {
    cache.join(format!("onnxruntime-{ORT_VERSION}")).join(LIB_FILE)
}

/// Hex SHA-256 of a file.
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| VisionError::io(path, e))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// What to do when the library is missing, in words.
pub fn instructions(cache: &Path) -> String {
    format!(
        "ONNX Runtime {ORT_VERSION} is not installed. Run `trailmesh vision setup` (it asks pip \
         for the onnxruntime=={ORT_VERSION} wheel, checks it and keeps the library in {}), or \
         point `vision.onnxruntime` / ORT_DYLIB_PATH at a libonnxruntime.so of version 1.31 or \
         newer. Setup needs python3 with pip and access to PyPI.",
        cached_library(cache).display()
    )
}

/// Finds the library: `explicit`, else `$ORT_DYLIB_PATH`, else the verified cached copy.
pub fn find_library(explicit: Option<&Path>, cache: &Path) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(VisionError::RuntimeMissing(format!(
                "vision.onnxruntime {} does not exist. {}",
                p.display(),
                instructions(cache)
            )))
        };
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(VisionError::RuntimeMissing(format!(
                "ORT_DYLIB_PATH={} does not exist. {}",
                p.display(),
                instructions(cache)
            )))
        };
    }
    let lib = cached_library(cache);
    if lib.is_file() {
        let sum = file_sha256(&lib)?;
        if sum == LIB_SHA256 {
            return Ok(lib);
        }
        return Err(VisionError::RuntimeMissing(format!(
            "{} is damaged (SHA-256 {sum}, expected {LIB_SHA256}); delete it and run `trailmesh vision setup`",
            lib.display()
        )));
    }
    Err(VisionError::RuntimeMissing(instructions(cache)))
}

/// Makes sure the library is in `cache` and returns its path. Downloads the wheel with
/// `python -m pip download` (pip draws its own progress bar on stderr), verifies it, and
/// extracts the library with Python's zipfile module. Idempotent; a verified copy is reused.
pub fn provision(cache: &Path, python: &str) -> Result<PathBuf> {
    let lib = cached_library(cache);
    if lib.is_file() && file_sha256(&lib)? == LIB_SHA256 {
        return Ok(lib);
    }
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        return Err(VisionError::RuntimeMissing(format!(
            "automatic set-up knows only the Linux x86-64 wheel; install ONNX Runtime {ORT_VERSION} \
             yourself and point vision.onnxruntime or ORT_DYLIB_PATH at its library"
        )));
    }
    let dir = lib.parent().expect("library path has a folder").to_path_buf();
    std::fs::create_dir_all(&dir).map_err(|e| VisionError::io(&dir, e))?;
    let work = dir.join(format!(".download-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| VisionError::io(&work, e))?;
    let result = fetch_into(&work, &lib, python);
    let _ = std::fs::remove_dir_all(&work);
    result.map(|()| lib)
}

fn fetch_into(work: &Path, lib: &Path, python: &str) -> Result<()> {
    let missing = |what: String| VisionError::RuntimeMissing(format!("{what}. {}", instructions(work)));
    tracing::info!("fetching the onnxruntime=={ORT_VERSION} wheel from PyPI with pip");
    let status = Command::new(python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args(["--platform", "manylinux_2_28_x86_64", "--python-version", "3.11"])
        .args([
            "--implementation",
            "cp",
            "--abi",
            "cp311",
            "--disable-pip-version-check",
        ])
        .arg(format!("onnxruntime=={ORT_VERSION}"))
        .arg("-d")
        .arg(work)
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| missing(format!("cannot run `{python} -m pip` ({e})")))?;
    if !status.success() {
        return Err(missing(format!(
            "`{python} -m pip download onnxruntime=={ORT_VERSION}` failed ({status})"
        )));
    }
    let wheel = work.join(WHEEL_FILE);
    let sum = file_sha256(&wheel)?;
    if sum != WHEEL_SHA256 {
        return Err(missing(format!(
            "the downloaded wheel's SHA-256 is {sum}, expected {WHEEL_SHA256}; refusing it"
        )));
    }
    let tmp = work.join(LIB_FILE);
    let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[3], 'wb') as out:\n    out.write(z.read(sys.argv[2]))\n";
    let status = Command::new(python)
        .args(["-c", script])
        .arg(&wheel)
        .arg(LIB_IN_WHEEL)
        .arg(&tmp)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| missing(format!("cannot run {python} ({e})")))?;
    if !status.success() {
        return Err(missing(format!("extracting {LIB_IN_WHEEL} from the wheel failed")));
    }
    let sum = file_sha256(&tmp)?;
    if sum != LIB_SHA256 {
        return Err(missing(format!(
            "the extracted library's SHA-256 is {sum}, expected {LIB_SHA256}; refusing it"
        )));
    }
    std::fs::rename(&tmp, lib).map_err(|e| VisionError::io(lib, e))?;
    Ok(())
}

static ENVIRONMENT: OnceLock<std::result::Result<ort::environment::Environment, String>> = OnceLock::new();

/// The process-wide ONNX Runtime environment, created from the library at `library` on first
/// use. ONNX Runtime allows one library per process: later calls reuse the first one.
pub fn environment(library: &Path, provider: ExecutionProvider) -> Result<&'static ort::environment::Environment> {
    let env = ENVIRONMENT.get_or_init(|| {
        let builder = ort::init_from(library).map_err(|e| {
            format!(
                "cannot load {} ({e}); it must be ONNX Runtime 1.31 or newer",
                library.display()
            )
        })?;
        let builder = builder.with_name("trailmesh");
        let builder = match provider {
            ExecutionProvider::Cpu => builder,
            ExecutionProvider::Cuda => builder.with_execution_providers(cuda_provider()?),
        };
        builder.build().map_err(|e| e.to_string())
    });
    env.as_ref().map_err(|e| VisionError::Ort(e.clone()))
}

#[cfg(feature = "cuda")]
fn cuda_provider() -> std::result::Result<Vec<ort::ep::ExecutionProviderDispatch>, String> {
    Ok(vec![ort::ep::CUDA::default().build().error_on_failure()])
}

#[cfg(not(feature = "cuda"))]
fn cuda_provider() -> std::result::Result<Vec<ort::ep::ExecutionProviderDispatch>, String> {
    Err(
        "execution_provider = \"cuda\" needs trailmesh built with the `cuda` feature \
         (cargo build --features trailmesh-vision/cuda) and the onnxruntime-gpu library"
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_runtime_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let err = find_library(Some(&dir.path().join("nope.so")), dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("trailmesh vision setup"), "{text}");
        assert!(text.contains("does not exist"), "{text}");
    }

    #[test]
    fn a_damaged_cached_runtime_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let lib = cached_library(dir.path());
        std::fs::create_dir_all(lib.parent().unwrap()).unwrap();
        std::fs::write(&lib, b"not a library").unwrap();
        // ORT_DYLIB_PATH would take precedence; this test only runs the cache branch when it is unset.
        if std::env::var_os("ORT_DYLIB_PATH").is_none() {
            let err = find_library(None, dir.path()).unwrap_err().to_string();
            assert!(err.contains("damaged"), "{err}");
        }
    }
}
