//! Checkpoints in safetensors format, written atomically.

use std::path::Path;

use ae_models::Autoencoder;

use crate::{Error, Result};

/// Writes every parameter of `model` to `path` as safetensors.
///
/// The file is written beside `path` under a temporary name and renamed into
/// place, so a crash never leaves a partial checkpoint.
pub fn save_checkpoint(model: &Autoencoder, path: &Path) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temporary = tempfile::Builder::new()
        .prefix(".checkpoint-")
        .suffix(".safetensors.tmp")
        .tempfile_in(folder)
        .map_err(io_error)?;
    candle_core::safetensors::save(&model.tensors(), temporary.path())?;
    temporary.as_file().sync_all().map_err(io_error)?;
    // Temporary files are created private (0600); a checkpoint is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(temporary.path(), permissions).map_err(io_error)?;
    }
    temporary.persist(path).map_err(|err| io_error(err.error))?;
    Ok(())
}
