//! Adam with L2 weight decay, as PyTorch's `torch.optim.Adam` computes it.
//!
//! candle-nn only has AdamW, which decays the weights directly
//! (`θ ← θ - lr·λ·θ`, decoupled from the gradient). PyTorch's Adam instead
//! adds the decay to the gradient before the moment estimates, so the decay
//! is rescaled by the adaptive step like any other gradient:
//!
//! ```text
//! g  = ∇θ + λ·θ
//! m  = β1·m + (1 - β1)·g
//! v  = β2·v + (1 - β2)·g²
//! θ ← θ - (lr / (1 - β1^t)) · m / (sqrt(v) / sqrt(1 - β2^t) + ε)
//! ```
//!
//! The last line is written in the order PyTorch evaluates it.
//!
//! Subnormal values are flushed to zero after each update, in the weights and
//! in both moment estimates. Weight decay drives the weights of inputs that
//! are always zero (the MNIST border pixels) toward zero, and without the
//! flush they settle in the subnormal range, where every CPU operation on
//! them, in training and later in inference, is many times slower. On the CPU the
//! update runs as one fused loop over each parameter's values, because a
//! chain of candle tensor operations allocates a tensor per operation and
//! cost more than the forward and backward passes of the linear model.

use candle_core::backprop::GradStore;
use candle_core::{DType, Result, Tensor, Var};

/// Hyper-parameters of [`Adam`]; the defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// Decay rate of the first moment.
    pub beta1: f64,
    /// Decay rate of the second moment.
    pub beta2: f64,
    /// Term added to the denominator for numerical stability.
    pub eps: f64,
    /// L2 penalty λ, added to the gradient as λ·θ.
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

struct Moments {
    var: Var,
    state: MomentState,
}

/// First and second moment estimates of one parameter.
enum MomentState {
    /// Plain vectors, updated by a fused loop on the CPU.
    Host { first: Vec<f32>, second: Vec<f32> },
    /// Tensors on the parameter's device, updated with candle operations.
    Device { first: Var, second: Var },
}

/// The Adam optimiser with L2 (coupled) weight decay.
pub struct Adam {
    config: AdamConfig,
    params: Vec<Moments>,
    step: i32,
}

impl Adam {
    /// Creates an optimiser for `vars`, with zeroed moment estimates.
    pub fn new(vars: Vec<Var>, config: AdamConfig) -> Result<Self> {
        let params = vars
            .into_iter()
            .map(|var| {
                let state = if var.device().is_cpu() && var.dtype() == DType::F32 {
                    let len = var.elem_count();
                    MomentState::Host {
                        first: vec![0.0; len],
                        second: vec![0.0; len],
                    }
                } else {
                    let first = Var::zeros(var.shape(), var.dtype(), var.device())?;
                    let second = Var::zeros(var.shape(), var.dtype(), var.device())?;
                    MomentState::Device { first, second }
                };
                Ok(Moments { var, state })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Adam {
            config,
            params,
            step: 0,
        })
    }

    /// Number of steps taken so far.
    pub fn steps(&self) -> i32 {
        self.step
    }

    /// Computes the gradients of `loss` and updates every variable once.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        let grads = loss.backward()?;
        self.step(&grads)
    }

    /// Updates every variable from precomputed gradients.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step += 1;
        let AdamConfig {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } = self.config;
        let bias_correction1 = 1.0 - beta1.powi(self.step);
        let bias_correction2 = 1.0 - beta2.powi(self.step);
        let step_size = lr / bias_correction1;
        let bias_correction2_sqrt = bias_correction2.sqrt();

        let step = Step {
            beta1,
            beta2,
            eps,
            weight_decay,
            step_size,
            bias_correction2_sqrt,
        };
        for moments in &mut self.params {
            let theta = moments.var.as_tensor();
            let Some(grad) = grads.get(theta) else {
                continue;
            };
            match &mut moments.state {
                MomentState::Host { first, second } => {
                    let mut values = theta.flatten_all()?.to_vec1::<f32>()?;
                    let grad = grad.flatten_all()?.to_vec1::<f32>()?;
                    step.apply_host(&mut values, &grad, first, second);
                    moments
                        .var
                        .set(&Tensor::from_vec(values, theta.shape(), theta.device())?)?;
                }
                MomentState::Device { first, second } => {
                    let (theta, first_new, second_new) =
                        step.apply_device(theta, grad, first, second)?;
                    moments.var.set(&theta)?;
                    first.set(&first_new)?;
                    second.set(&second_new)?;
                }
            }
        }
        Ok(())
    }
}

/// The scalars of one optimiser step.
struct Step {
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    step_size: f64,
    bias_correction2_sqrt: f64,
}

impl Step {
    fn apply_host(&self, theta: &mut [f32], grad: &[f32], first: &mut [f32], second: &mut [f32]) {
        let (beta1, beta2) = (self.beta1 as f32, self.beta2 as f32);
        let (eps, weight_decay) = (self.eps as f32, self.weight_decay as f32);
        let (step_size, bias_correction2_sqrt) =
            (self.step_size as f32, self.bias_correction2_sqrt as f32);
        for (((theta, &grad), first), second) in theta.iter_mut().zip(grad).zip(first).zip(second) {
            let grad = grad + weight_decay * *theta;
            *first = flush_subnormal(beta1 * *first + (1.0 - beta1) * grad);
            *second = flush_subnormal(beta2 * *second + (1.0 - beta2) * grad * grad);
            let denom = second.sqrt() / bias_correction2_sqrt + eps;
            *theta = flush_subnormal(*theta - step_size * (*first / denom));
        }
    }

    // NOTE: the device path keeps subnormals; CUDA flushes them in its own arithmetic
    // only when built with fast-math, which candle's kernels are not.
    fn apply_device(
        &self,
        theta: &Tensor,
        grad: &Tensor,
        first: &Var,
        second: &Var,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let grad = if self.weight_decay != 0.0 {
            (grad + theta.affine(self.weight_decay, 0.0)?)?
        } else {
            grad.clone()
        };
        let first = ((first.as_tensor() * self.beta1)? + (&grad * (1.0 - self.beta1))?)?;
        let second = ((second.as_tensor() * self.beta2)? + (grad.sqr()? * (1.0 - self.beta2))?)?;
        let denom = ((second.sqrt()? / self.bias_correction2_sqrt)? + self.eps)?;
        let update = ((&first / &denom)? * self.step_size)?;
        Ok(((theta - update)?, first, second))
    }
}

/// Returns zero for a subnormal `value`, else `value`.
fn flush_subnormal(value: f32) -> f32 {
    if value.is_subnormal() {
        0.0
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// The same update written out in scalars, as PyTorch's single-tensor Adam does it.
    fn reference_steps(
        theta0: f64,
        grad_of: impl Fn(f64) -> f64,
        config: AdamConfig,
        steps: i32,
    ) -> f64 {
        let (mut theta, mut m, mut v) = (theta0, 0.0, 0.0);
        for t in 1..=steps {
            let g = grad_of(theta) + config.weight_decay * theta;
            m = config.beta1 * m + (1.0 - config.beta1) * g;
            v = config.beta2 * v + (1.0 - config.beta2) * g * g;
            let bc1 = 1.0 - config.beta1.powi(t);
            let bc2 = 1.0 - config.beta2.powi(t);
            theta -= config.lr / bc1 * m / (v.sqrt() / bc2.sqrt() + config.eps);
        }
        theta
    }

    #[test]
    fn matches_scalar_reference_with_l2_decay() -> Result<()> {
        let config = AdamConfig {
            lr: 0.01,
            weight_decay: 0.1,
            ..AdamConfig::default()
        };
        let start = [1.5f32, -0.5, 0.25];
        let var = Var::from_slice(&start, 3, &Device::Cpu)?;
        let mut adam = Adam::new(vec![var.clone()], config)?;
        for _ in 0..20 {
            // loss = sum((θ - 2)²), gradient 2(θ - 2).
            let loss = (var.as_tensor() - 2.0)?.sqr()?.sum_all()?;
            adam.backward_step(&loss)?;
        }
        let got = var.as_tensor().to_vec1::<f32>()?;
        for (got, start) in got.iter().zip(start) {
            let expected = reference_steps(start as f64, |t| 2.0 * (t - 2.0), config, 20);
            assert!(
                (*got as f64 - expected).abs() < 1e-5,
                "got {got}, expected {expected}"
            );
        }
        Ok(())
    }

    #[test]
    fn host_and_device_updates_agree() -> Result<()> {
        let config = AdamConfig {
            lr: 0.01,
            weight_decay: 0.1,
            ..AdamConfig::default()
        };
        let theta = Tensor::new(&[0.3f32, -1.2, 2.0, 0.0], &Device::Cpu)?;
        let grad = Tensor::new(&[0.5f32, 0.1, -2.0, 1e-3], &Device::Cpu)?;
        let step = Step {
            beta1: config.beta1,
            beta2: config.beta2,
            eps: config.eps,
            weight_decay: config.weight_decay,
            step_size: config.lr / (1.0 - config.beta1),
            bias_correction2_sqrt: (1.0 - config.beta2).sqrt(),
        };
        let mut host = theta.to_vec1::<f32>()?;
        let (mut first, mut second) = (vec![0.0; 4], vec![0.0; 4]);
        step.apply_host(&mut host, &grad.to_vec1::<f32>()?, &mut first, &mut second);
        let zeros = || Var::zeros(4, DType::F32, &Device::Cpu);
        let (device, _, _) = step.apply_device(&theta, &grad, &zeros()?, &zeros()?)?;
        for (host, device) in host.iter().zip(device.to_vec1::<f32>()?) {
            assert!((host - device).abs() < 1e-6, "host {host}, device {device}");
        }
        Ok(())
    }

    #[test]
    fn subnormal_values_become_zero() {
        let step = Step {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            step_size: 1e-3,
            bias_correction2_sqrt: 1.0,
        };
        let subnormal = f32::MIN_POSITIVE / 4.0;
        let mut theta = [subnormal, 0.5];
        let (mut first, mut second) = ([subnormal, 0.0], [subnormal, 0.0]);
        step.apply_host(&mut theta, &[0.0, 0.0], &mut first, &mut second);
        assert_eq!(theta[0], 0.0);
        assert_eq!(first[0], 0.0);
        assert_eq!(second[0], 0.0);
        assert_eq!(theta[1], 0.5);
    }

    #[test]
    fn weight_decay_pulls_toward_zero_without_gradient() -> Result<()> {
        let config = AdamConfig {
            lr: 0.1,
            weight_decay: 1.0,
            ..AdamConfig::default()
        };
        let var = Var::from_slice(&[1.0f32], 1, &Device::Cpu)?;
        let mut adam = Adam::new(vec![var.clone()], config)?;
        // A loss with zero gradient: only the L2 term moves θ.
        let loss = (var.as_tensor() * &Tensor::new(&[0.0f32], &Device::Cpu)?)?.sum_all()?;
        adam.backward_step(&loss)?;
        let theta = var.as_tensor().to_vec1::<f32>()?[0];
        assert!(theta < 1.0, "θ = {theta} did not decrease");
        Ok(())
    }
}
