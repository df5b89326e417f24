// BatchNorm2d whose batch statistics span every rank of the process group (`--sync-bn`), so
// that N processes with batch B normalise exactly as one process with batch N*B. Same
// parameter and buffer names as torch::nn::BatchNorm2d, so checkpoints are interchangeable.
// Without a group (or with one rank) it is plain BatchNorm.
#pragma once
#include <torch/torch.h>

#include <memory>

namespace wgan {

class ProcessGroup;

// The group every SyncBatchNorm2d reduces over (nullptr: local statistics). Set once per process.
void set_sync_batch_norm_group(std::shared_ptr<ProcessGroup> group);

class SyncBatchNorm2dImpl : public torch::nn::Module {
 public:
  explicit SyncBatchNorm2dImpl(int64_t channels, double eps = 1e-5, double momentum = 0.1);
  torch::Tensor forward(const torch::Tensor& x);
  double eps() const { return eps_; }

  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  double eps_;
  double momentum_;
};
TORCH_MODULE(SyncBatchNorm2d);

}  // namespace wgan
