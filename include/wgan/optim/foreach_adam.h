// Adam with the same math and the same saved state as torch::optim::Adam, but each update is a
// handful of multi-tensor (_foreach) operations over all parameters instead of about eight kernel
// launches per parameter. On a GPU at batch 64 the launches, not the arithmetic, are the cost;
// on the CPU the _foreach ops fall back to the per-tensor loop, so results are identical there.
// Checkpoints stay interchangeable with torch::optim::Adam (this is a subclass; state is shared).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <unordered_map>

#include "wgan/losses/losses.h"

namespace wgan {

class ForeachAdam : public torch::optim::Adam {
 public:
  ForeachAdam(std::vector<torch::Tensor> params, torch::optim::AdamOptions options);
  // amsgrad and weight decay are not used by wgan: they fall back to torch::optim::Adam::step.
  torch::Tensor step(LossClosure closure = nullptr) override;

  // For --cuda-graph: from now on the step counts (and so the bias corrections) live in device
  // tensors that each update advances itself, through LibTorch's fused CUDA Adam kernel, so a
  // replayed graph stays correct. The host counts, which checkpoints save, then move only
  // through advance_host_steps. Every parameter must already have its state (one eager step).
  void use_device_steps();
  void advance_host_steps(int64_t steps);

 private:
  bool device_steps_ = false;
  std::unordered_map<const void*, torch::Tensor> step_tensors_;  // by TensorImpl
};

// The optimizer a loss trains with (Loss::optimizer): ForeachAdam(lr, betas) or RMSprop(lr).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(OptimizerKind kind, std::vector<torch::Tensor> params,
                                                        double lr, double beta1, double beta2);

// Sets the learning rate of every parameter group of an optimizer make_optimizer made (--lr-decay).
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace wgan
