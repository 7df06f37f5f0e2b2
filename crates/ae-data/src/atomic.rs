//! Atomic file writes: readers see the old file or the complete new one, never a partial one.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically.
///
/// See [`write_atomic_with`] for how the file is written and what happens on error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |writer| writer.write_all(bytes))
}

/// Writes the output of `write` to `path` atomically.
///
/// The callback writes into a buffered temporary file in the same folder as `path`. The file is
/// then flushed, synced to disk and renamed over `path`. If the callback or any of these steps
/// fails, the temporary file is removed and `path` is left as it was. On Unix the new file gets
/// the permissions a plain `File::create` would give it (0o666 minus the umask).
pub fn write_atomic_with<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let write_error = |error: io::Error| Error::Write {
        path: path.to_path_buf(),
        error,
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };

    let temp = create_temp_file(folder, path).map_err(write_error)?;
    let mut writer = BufWriter::new(temp);
    write(&mut writer).map_err(write_error)?;
    let temp = writer
        .into_inner()
        .map_err(|error| write_error(error.into_error()))?;
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(path)
        .map_err(|error| write_error(error.error))?;

    sync_folder(folder);
    tracing::debug!(path = %path.display(), "wrote file atomically");
    Ok(())
}

/// Creates a hidden temporary file in `folder` whose name starts with the target's file name.
fn create_temp_file(folder: &Path, target: &Path) -> io::Result<NamedTempFile> {
    let mut prefix = std::ffi::OsString::from(".");
    if let Some(name) = target.file_name() {
        prefix.push(name);
    }
    prefix.push(".");

    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(folder)
}

/// Syncs the folder so that the rename survives a crash. Failure only weakens durability, so it
/// is logged rather than returned.
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Err(error) = std::fs::File::open(folder).and_then(|dir| dir.sync_all()) {
        tracing::debug!(folder = %folder.display(), %error, "folder sync after rename failed");
    }
    #[cfg(not(unix))]
    let _ = folder;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::write(&path, b"old content").unwrap();

        write_atomic(&path, b"new").unwrap();

        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[test]
    fn failed_callback_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");

        let result = write_atomic_with(&path, |writer| {
            writer.write_all(b"partial")?;
            Err(io::Error::other("encoder failed"))
        });

        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("out.bin: write failed: encoder failed"),
            "{message}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(leftovers.is_empty(), "files left behind: {leftovers:?}");
    }

    #[test]
    fn failed_callback_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        std::fs::write(&path, b"old content").unwrap();

        let result = write_atomic_with(&path, |_| Err(io::Error::other("encoder failed")));

        assert!(result.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old content");
    }

    #[test]
    fn missing_folder_names_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-folder").join("out.bin");

        let message = write_atomic(&path, b"x").unwrap_err().to_string();

        assert!(
            message.starts_with(&format!("{}: write failed:", path.display())),
            "{message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn new_file_mode_matches_file_create() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let plain_path = dir.path().join("plain.bin");

        write_atomic(&path, b"x").unwrap();
        std::fs::File::create(&plain_path).unwrap();

        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        let plain_mode = std::fs::metadata(&plain_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, plain_mode & 0o777);
    }
}
