//! Dense f32 tensors and the declared shapes of graph inputs and outputs.

use std::fmt;

use crate::{Error, Result};

/// A dense f32 tensor, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Size of each dimension, outermost first.
    pub shape: Vec<usize>,
    /// Values in row-major order, as many as the product of `shape`.
    pub data: Vec<f32>,
}

impl Tensor {
    /// Creates a tensor, checking that `data` has one value per element of `shape`.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor> {
        let tensor = Tensor { shape, data };
        tensor.check_len()?;
        Ok(tensor)
    }

    /// Number of elements that `shape` describes.
    pub fn element_count(&self) -> usize {
        self.shape.iter().product()
    }

    /// Copies rows `start..end` of the first (batch) dimension into a new tensor.
    pub fn slice_batch(&self, start: usize, end: usize) -> Result<Tensor> {
        self.check_len()?;
        let Some(&batch) = self.shape.first() else {
            return Err(Error::InvalidTensor {
                message: "a tensor of rank 0 has no batch dimension to slice".into(),
            });
        };
        if start > end || end > batch {
            return Err(Error::InvalidTensor {
                message: format!(
                    "batch range {start}..{end} is out of bounds for shape {:?}",
                    self.shape
                ),
            });
        }

        let row_len: usize = self.shape[1..].iter().product();
        let mut shape = self.shape.clone();
        shape[0] = end - start;
        let data = self.data[start * row_len..end * row_len].to_vec();
        Ok(Tensor { shape, data })
    }

    /// Checks that the data length matches the shape, since both fields are public.
    pub(crate) fn check_len(&self) -> Result<()> {
        let expected = self.element_count();
        if self.data.len() != expected {
            return Err(Error::InvalidTensor {
                message: format!(
                    "shape {:?} has {expected} elements but the data has {} values",
                    self.shape,
                    self.data.len()
                ),
            });
        }
        Ok(())
    }
}

/// One dimension of a declared shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dim {
    /// A size fixed in the graph.
    Fixed(usize),
    /// A size named in the graph and chosen at run time, such as the batch `N`.
    Symbolic(String),
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Fixed(size) => write!(f, "{size}"),
            Dim::Symbolic(name) => f.write_str(name),
        }
    }
}

/// Name and declared shape of a graph input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// Name of the value in the graph, for example `image`.
    pub name: String,
    /// Declared dimensions, outermost first.
    pub dims: Vec<Dim>,
}

impl TensorInfo {
    /// Checks that `input` has this value's rank and every fixed dimension, and returns a message
    /// naming the expected and found shapes when it does not.
    pub(crate) fn check_input(&self, input: &Tensor) -> std::result::Result<(), String> {
        if let Err(error) = input.check_len() {
            return Err(error.to_string());
        }

        let fits = input.shape.len() == self.dims.len()
            && self
                .dims
                .iter()
                .zip(&input.shape)
                .all(|(dim, &size)| match dim {
                    Dim::Fixed(fixed) => *fixed == size,
                    Dim::Symbolic(_) => true,
                });
        if !fits {
            return Err(format!(
                "input {self} does not accept shape {:?}",
                input.shape
            ));
        }
        if input.shape.first() == Some(&0) {
            return Err(format!("input {self} was given an empty batch"));
        }
        Ok(())
    }
}

impl fmt::Display for TensorInfo {
    /// Formats as `` `image` [N, 1, 28, 28] ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` [", self.name)?;
        for (index, dim) in self.dims.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{dim}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rejects_wrong_length() {
        let error = Tensor::new(vec![2, 3], vec![0.0; 5]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid tensor: shape [2, 3] has 6 elements but the data has 5 values"
        );
    }

    #[test]
    fn slice_batch_copies_rows() {
        let tensor = Tensor::new(vec![3, 2], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        let slice = tensor.slice_batch(1, 3).unwrap();
        assert_eq!(slice.shape, [2, 2]);
        assert_eq!(slice.data, [2.0, 3.0, 4.0, 5.0]);
        assert!(tensor.slice_batch(2, 4).is_err());
        assert!(tensor.slice_batch(2, 1).is_err());
    }

    #[test]
    fn check_input_compares_fixed_dims() {
        let info = TensorInfo {
            name: "image".into(),
            dims: vec![Dim::Symbolic("N".into()), Dim::Fixed(2)],
        };
        assert!(info
            .check_input(&Tensor::new(vec![5, 2], vec![0.0; 10]).unwrap())
            .is_ok());

        let message = info.check_input(&Tensor::new(vec![5, 3], vec![0.0; 15]).unwrap());
        assert_eq!(
            message.unwrap_err(),
            "input `image` [N, 2] does not accept shape [5, 3]"
        );

        let rank_three = Tensor::new(vec![1, 2, 1], vec![0.0; 2]).unwrap();
        assert!(info.check_input(&rank_three).is_err());
        assert!(info
            .check_input(&Tensor::new(vec![0, 2], vec![]).unwrap())
            .is_err());
    }
}
