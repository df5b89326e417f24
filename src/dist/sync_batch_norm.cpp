#include "wgan/dist/sync_batch_norm.h"

#include "wgan/dist/process_group.h"

namespace wgan {

namespace {

std::shared_ptr<ProcessGroup>& current_group() {
  static std::shared_ptr<ProcessGroup> group;
  return group;
}

torch::Tensor per_channel(const torch::Tensor& t) { return t.view({1, -1, 1, 1}); }

// Forward with statistics summed over all ranks; backward with the matching global sums, so the
// input gradient is that of the sum of every rank's loss (the parameters' gradients are then
// averaged across ranks like any other).
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias, torch::Tensor running_mean,
                               torch::Tensor running_var, double eps, double momentum) {
    ProcessGroup& group = *current_group();
    const int64_t channels = x.size(1);
    auto x64 = x.to(torch::kFloat64);
    auto stats = torch::cat({x64.sum({0, 2, 3}), x64.square().sum({0, 2, 3}),
                             torch::full({1}, static_cast<double>(x.numel() / channels), x64.options())});
    group.allreduce_(stats, ReduceOp::kSum);
    const double total = stats[2 * channels].item<double>();
    auto mean = stats.slice(0, 0, channels) / total;
    auto var = (stats.slice(0, channels, 2 * channels) / total - mean.square()).clamp_min(0);
    auto invstd = (var + eps).rsqrt();
    {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype()) * momentum);
      running_var.mul_(1 - momentum).add_(var.to(running_var.dtype()) * (momentum * total / std::max(total - 1, 1.0)));
    }
    auto xhat = (x - per_channel(mean.to(x.dtype()))) * per_channel(invstd.to(x.dtype()));
    ctx->save_for_backward({xhat, weight, invstd.to(x.dtype())});
    ctx->saved_data["total"] = total;
    return xhat * per_channel(weight) + per_channel(bias);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    ProcessGroup& group = *current_group();
    auto saved = ctx->get_saved_variables();
    const auto& xhat = saved[0];
    const auto& weight = saved[1];
    const auto& invstd = saved[2];
    const double total = ctx->saved_data["total"].toDouble();
    const auto& g = grads[0];
    const int64_t channels = g.size(1);
    auto sum_g = g.sum({0, 2, 3});
    auto sum_gx = (g * xhat).sum({0, 2, 3});
    auto global = torch::cat({sum_g, sum_gx}).to(torch::kFloat64);
    group.allreduce_(global, ReduceOp::kSum);
    auto mean_g = (global.slice(0, 0, channels) / total).to(g.dtype());
    auto mean_gx = (global.slice(0, channels, 2 * channels) / total).to(g.dtype());
    auto grad_x = per_channel(weight * invstd) * (g - per_channel(mean_g) - xhat * per_channel(mean_gx));
    return {grad_x, sum_gx, sum_g, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

void set_sync_batch_norm_group(std::shared_ptr<ProcessGroup> group) { current_group() = std::move(group); }

SyncBatchNorm2dImpl::SyncBatchNorm2dImpl(int64_t channels, double eps, double momentum)
    : eps_(eps), momentum_(momentum) {
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
  running_mean = register_buffer("running_mean", torch::zeros({channels}));
  running_var = register_buffer("running_var", torch::ones({channels}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
}

torch::Tensor SyncBatchNorm2dImpl::forward(const torch::Tensor& x) {
  const auto& group = current_group();
  if (!is_training() || !group || group->world_size() == 1) {
    if (is_training()) num_batches_tracked.add_(1);
    return torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum_, eps_,
                             /*cudnn_enabled=*/true);
  }
  num_batches_tracked.add_(1);
  return SyncBatchNormFunction::apply(x, weight, bias, running_mean, running_var, eps_, momentum_);
}

}  // namespace wgan
