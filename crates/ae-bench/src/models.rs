//! The models to benchmark: a whole-autoencoder graph per model, and its encoder graph where
//! there is one.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Part of an autoencoder that a graph file computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphKind {
    /// Image to reconstruction, and to the latent code where the graph has that output too.
    Whole,
    /// Image to latent code.
    Encoder,
}

impl GraphKind {
    /// Name used in tables and JSON: `whole` or `encoder`.
    pub fn name(self) -> &'static str {
        match self {
            GraphKind::Whole => "whole",
            GraphKind::Encoder => "encoder",
        }
    }
}

impl fmt::Display for GraphKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Graph files of one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    /// Name shown in the report, for example `conv`.
    pub name: String,
    /// Whole-autoencoder graph.
    pub whole: PathBuf,
    /// Encoder graph, if the model has one.
    pub encoder: Option<PathBuf>,
}

impl ModelFiles {
    /// Finds `NAME.onnx` and `NAME.encoder.onnx` in `folder`. The whole graph must exist, and
    /// the encoder is used when present.
    pub fn in_folder(folder: &Path, name: &str) -> Result<ModelFiles> {
        let whole = folder.join(format!("{name}.onnx"));
        if !whole.is_file() {
            return Err(Error::ModelNotFound {
                name: name.to_string(),
                path: whole,
                hint: "pass --models FOLDER with the exported models, or train and export them \
                       with ae-train"
                    .into(),
            });
        }
        let encoder = folder.join(format!("{name}.encoder.onnx"));
        Ok(ModelFiles {
            name: name.to_string(),
            whole,
            encoder: encoder.is_file().then_some(encoder),
        })
    }

    /// Parses `NAME=WHOLE` or `NAME=WHOLE,ENCODER`, the form of `--model`. Both files must
    /// exist.
    pub fn parse(spec: &str) -> Result<ModelFiles> {
        let invalid = |reason: &str| Error::InvalidArgument {
            option: "--model",
            value: spec.to_string(),
            reason: format!("{reason}, expected NAME=WHOLE.onnx or NAME=WHOLE.onnx,ENCODER.onnx"),
        };
        let (name, paths) = spec
            .split_once('=')
            .ok_or_else(|| invalid("the name is missing"))?;
        if name.is_empty() {
            return Err(invalid("the name is empty"));
        }
        let (whole, encoder) = match paths.split_once(',') {
            Some((whole, encoder)) => (PathBuf::from(whole), Some(PathBuf::from(encoder))),
            None => (PathBuf::from(paths), None),
        };

        for path in std::iter::once(&whole).chain(encoder.as_ref()) {
            if !path.is_file() {
                return Err(Error::ModelNotFound {
                    name: name.to_string(),
                    path: path.clone(),
                    hint: "check the path given to --model".into(),
                });
            }
        }
        Ok(ModelFiles {
            name: name.to_string(),
            whole,
            encoder,
        })
    }

    /// Graphs of this model, whole graph first.
    pub fn graphs(&self) -> Vec<(GraphKind, &Path)> {
        let mut graphs = vec![(GraphKind::Whole, self.whole.as_path())];
        if let Some(encoder) = &self.encoder {
            graphs.push((GraphKind::Encoder, encoder.as_path()));
        }
        graphs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_missing_name() {
        let error = ModelFiles::parse("models/conv.onnx").unwrap_err();
        assert!(
            error.to_string().starts_with(
                "invalid --model `models/conv.onnx`: the name is missing, expected NAME="
            ),
            "{error}"
        );
    }

    #[test]
    fn parse_reads_whole_and_encoder() {
        let folder = tempfile::tempdir().unwrap();
        let whole = folder.path().join("a.onnx");
        let encoder = folder.path().join("b.onnx");
        std::fs::write(&whole, b"").unwrap();
        std::fs::write(&encoder, b"").unwrap();

        let spec = format!("tiny={},{}", whole.display(), encoder.display());
        let files = ModelFiles::parse(&spec).unwrap();
        assert_eq!(files.name, "tiny");
        assert_eq!(files.whole, whole);
        assert_eq!(files.encoder.as_deref(), Some(encoder.as_path()));

        let missing = format!("tiny={}", folder.path().join("c.onnx").display());
        let error = ModelFiles::parse(&missing).unwrap_err();
        assert!(error.to_string().contains("c.onnx not found"), "{error}");
    }

    #[test]
    fn in_folder_finds_encoder_beside_whole() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("conv.onnx"), b"").unwrap();
        let files = ModelFiles::in_folder(folder.path(), "conv").unwrap();
        assert_eq!(files.encoder, None);
        assert_eq!(files.graphs().len(), 1);

        std::fs::write(folder.path().join("conv.encoder.onnx"), b"").unwrap();
        let files = ModelFiles::in_folder(folder.path(), "conv").unwrap();
        assert_eq!(files.graphs()[1].0, GraphKind::Encoder);

        assert!(ModelFiles::in_folder(folder.path(), "linear").is_err());
    }
}
