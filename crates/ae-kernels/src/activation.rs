//! Element-wise activation functions fused into the layer kernels.

/// Element-wise function that a layer applies to each output before storing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// Stores the output unchanged.
    Identity,
    /// Stores `max(x, 0)`, and 0 for NaN.
    Relu,
}

impl Activation {
    /// Applies the activation to one value.
    #[inline(always)]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Identity => x,
            Activation::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
        }
    }
}
