//! Finding and loading ONNX Runtime's shared library, once per process.
//!
//! `ort` is built with `load-dynamic`, so nothing links against ONNX Runtime at build time.
//! `ort::init` would panic on a missing library, so this module resolves the path itself and
//! calls `ort::init_from`, which returns an error.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ::ort::environment::Environment;

use crate::{Error, Result};

/// ONNX Runtime release that `scripts/setup-onnxruntime.sh` installs.
const CACHED_VERSION: &str = "1.32.0";

/// How to get the library, appended to every error about it.
const SETUP_HINT: &str = "Run scripts/setup-onnxruntime.sh, or pass --ort-lib PATH, \
                          or set ORT_DYLIB_PATH to libonnxruntime.so";

/// The library loaded into this process and the ONNX Runtime environment built on it.
#[derive(Clone)]
pub(crate) struct LoadedLibrary {
    /// Canonical path of the library file.
    pub(crate) path: PathBuf,
    /// Version that the library reports, for example `1.32.0`.
    pub(crate) version: String,
    /// The process-wide environment, since `ort` allows one per process.
    pub(crate) environment: Environment,
}

static LOADED: Mutex<Option<LoadedLibrary>> = Mutex::new(None);

/// Returns the loaded library, loading it first if this is the first `ort` graph.
///
/// `requested` is [`crate::LoadOptions::ort_library`]. Once a library is loaded, a request
/// without a path reuses it, and a request that names a different file is an error, because
/// ONNX Runtime cannot be unloaded or loaded twice.
pub(crate) fn load(requested: Option<&Path>) -> Result<LoadedLibrary> {
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());

    if let Some(library) = loaded.as_ref() {
        if let Some(requested) = requested {
            let canonical = canonicalize(requested, "--ort-lib")?;
            if canonical != library.path {
                return Err(Error::Library {
                    path: Some(canonical.clone()),
                    message: format!(
                        "cannot load {}: this process already loaded ONNX Runtime from {}, and \
                         a process can load only one, so use the same library for every graph",
                        canonical.display(),
                        library.path.display()
                    ),
                });
            }
        }
        return Ok(library.clone());
    }

    let path = find(requested)?;
    let library = initialize(&path)?;
    tracing::info!(path = %library.path.display(), version = %library.version, "loaded ONNX Runtime");
    *loaded = Some(library.clone());
    Ok(library)
}

/// Resolves the library path: `requested`, then `ORT_DYLIB_PATH`, then the project cache.
fn find(requested: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = requested {
        return canonicalize(path, "--ort-lib");
    }
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").filter(|value| !value.is_empty()) {
        return canonicalize(Path::new(&path), "ORT_DYLIB_PATH");
    }

    let candidates = cache_candidates();
    if let Some(found) = candidates.iter().find(|candidate| candidate.is_file()) {
        return canonicalize(found, "the project cache");
    }
    let searched: Vec<String> = candidates
        .iter()
        .map(|candidate| candidate.display().to_string())
        .collect();
    Err(Error::Library {
        path: None,
        message: format!(
            "ONNX Runtime library not found: there is no --ort-lib, no ORT_DYLIB_PATH and no cached \
             library at {}. {SETUP_HINT}",
            searched.join(" or ")
        ),
    })
}

/// Cache locations: under the workspace this crate was built in, then under the current
/// directory, for a binary that runs from a different checkout than the one that built it.
fn cache_candidates() -> Vec<PathBuf> {
    let relative = format!(".cache/onnxruntime/libonnxruntime.so.{CACHED_VERSION}");
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(&relative);
    vec![built_in, PathBuf::from(relative)]
}

/// Returns the absolute path of an existing file, or an error naming where the path came from.
fn canonicalize(path: &Path, source: &str) -> Result<PathBuf> {
    std::fs::canonicalize(path).map_err(|error| Error::Library {
        path: Some(path.to_path_buf()),
        message: format!(
            "failed to open ONNX Runtime library {} (from {source}): {error}. {SETUP_HINT}",
            path.display()
        ),
    })
}

/// Loads the library at the canonical `path` and builds the process-wide environment.
fn initialize(path: &Path) -> Result<LoadedLibrary> {
    let library_error = |message: String| Error::Library {
        path: Some(path.to_path_buf()),
        message,
    };

    let builder = ::ort::init_from(path).map_err(|error| {
        library_error(format!(
            "failed to load ONNX Runtime from {}: {error}. {SETUP_HINT}",
            path.display()
        ))
    })?;
    let environment = builder
        .with_name("ae-runtime")
        .with_telemetry(false)
        .build()
        .map_err(|error| {
            library_error(format!(
                "cannot create an ONNX Runtime environment: {error}"
            ))
        })?;

    let version = read_version(path).unwrap_or_else(|| "unknown".into());
    Ok(LoadedLibrary {
        path: path.to_path_buf(),
        version,
        environment,
    })
}

/// Reads the release that the library reports through `OrtGetApiBase()->GetVersionString()`,
/// which the `ort` crate does not expose.
fn read_version(path: &Path) -> Option<String> {
    type GetApiBase = unsafe extern "system" fn() -> *const ::ort::sys::OrtApiBase;

    // SAFETY: `ort::init_from` loaded this file just before, so opening it again only takes
    // another reference to the loaded library. `OrtGetApiBase` has this signature in every
    // ONNX Runtime release, and `GetVersionString` returns a static NUL-terminated string,
    // which is copied before the reference is dropped.
    unsafe {
        let library = libloading::Library::new(path).ok()?;
        let get_api_base = library.get::<GetApiBase>(b"OrtGetApiBase").ok()?;
        let base = get_api_base();
        if base.is_null() {
            return None;
        }
        let version = ((*base).GetVersionString)();
        if version.is_null() {
            return None;
        }
        Some(CStr::from_ptr(version).to_string_lossy().into_owned())
    }
}
