#include "wgan/optim/foreach_adam.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>

namespace wgan {

namespace {

// torch::optim keys its per-parameter state by the TensorImpl address: as a string in LibTorch
// 1.x, as the pointer itself in 2.x. This picks whichever the installed headers use.
template <typename Map>
typename Map::key_type state_key(const Map&, const torch::Tensor& p) {
  if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
    std::ostringstream key;  // what c10::guts::to_string wrote: the address through operator<<
    key << p.unsafeGetTensorImpl();
    return key.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

}  // namespace

ForeachAdam::ForeachAdam(std::vector<torch::Tensor> params, torch::optim::AdamOptions options)
    : torch::optim::Adam(std::move(params), options) {}

torch::Tensor ForeachAdam::step(LossClosure closure) {
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    if (o.amsgrad() || o.weight_decay() != 0) return torch::optim::Adam::step(closure);
  }
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  torch::NoGradGuard no_grad;
  if (device_steps_) {
    for (auto& group : param_groups_) {
      const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
      std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
      for (auto& p : group.params()) {
        if (!p.grad().defined()) continue;
        auto found = state_.find(state_key(state_, p));
        TORCH_CHECK(found != state_.end(), "device step counts: a parameter has no optimizer state");
        auto& s = static_cast<torch::optim::AdamParamState&>(*found->second);
        params.push_back(p);
        grads.push_back(p.grad());
        exp_avgs.push_back(s.exp_avg());
        exp_avg_sqs.push_back(s.exp_avg_sq());
        steps.push_back(step_tensors_.at(p.unsafeGetTensorImpl()));
      }
      if (params.empty()) continue;
      at::_foreach_add_(steps, 1);
      at::_fused_adam_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, o.lr(),
                       std::get<0>(o.betas()), std::get<1>(o.betas()), o.weight_decay(), o.eps(),
                       /*amsgrad=*/false, /*maximize=*/false);
    }
    return loss;
  }
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    const double beta1 = std::get<0>(o.betas());
    const double beta2 = std::get<1>(o.betas());
    // Parameters updated together share a step count; a group whose counts differ (only possible
    // after loading a hand-edited state) is split by count so each keeps its own bias correction.
    std::map<int64_t, std::vector<torch::Tensor>> params, grads, exp_avgs, exp_avg_sqs;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto key = state_key(state_, p);
      auto found = state_.find(key);
      if (found == state_.end()) {
        auto fresh = std::make_unique<torch::optim::AdamParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        state_[key] = std::move(fresh);
      }
      auto& s = static_cast<torch::optim::AdamParamState&>(*state_[key]);
      s.step(s.step() + 1);
      params[s.step()].push_back(p);
      grads[s.step()].push_back(p.grad());
      exp_avgs[s.step()].push_back(s.exp_avg());
      exp_avg_sqs[s.step()].push_back(s.exp_avg_sq());
    }
    for (auto& [step, ps] : params) {
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
      auto& m = exp_avgs[step];
      auto& v = exp_avg_sqs[step];
      auto& g = grads[step];
      at::_foreach_mul_(m, beta1);
      at::_foreach_add_(m, g, 1 - beta1);
      at::_foreach_mul_(v, beta2);
      at::_foreach_addcmul_(v, g, g, 1 - beta2);
      auto denom = at::_foreach_sqrt(v);
      at::_foreach_div_(denom, std::sqrt(bias_correction2));
      at::_foreach_add_(denom, o.eps());
      at::_foreach_addcdiv_(ps, m, denom, -o.lr() / bias_correction1);
    }
  }
  return loss;
}

void ForeachAdam::use_device_steps() {
  if (device_steps_) return;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    TORCH_CHECK(!o.amsgrad(), "device step counts: amsgrad is not supported");
    for (auto& p : group.params()) {
      auto found = state_.find(state_key(state_, p));
      TORCH_CHECK(found != state_.end(), "device step counts: a parameter has no optimizer state yet");
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*found->second);
      step_tensors_[p.unsafeGetTensorImpl()] =
          torch::full({}, static_cast<double>(s.step()), p.options().dtype(torch::kFloat32));
    }
  }
  device_steps_ = true;
}

void ForeachAdam::advance_host_steps(int64_t steps) {
  for (auto& group : param_groups_)
    for (auto& p : group.params()) {
      auto found = state_.find(state_key(state_, p));
      if (found == state_.end()) continue;
      auto& s = static_cast<torch::optim::AdamParamState&>(*found->second);
      s.step(s.step() + steps);
    }
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(OptimizerKind kind, std::vector<torch::Tensor> params,
                                                        double lr, double beta1, double beta2) {
  if (kind == OptimizerKind::kRmsprop)
    return std::make_unique<torch::optim::RMSprop>(std::move(params), torch::optim::RMSpropOptions(lr));
  return std::make_unique<ForeachAdam>(std::move(params), torch::optim::AdamOptions(lr).betas({beta1, beta2}));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    auto& options = group.options();
    if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) {
      adam->lr(lr);
    } else if (auto* rmsprop = dynamic_cast<torch::optim::RMSpropOptions*>(&options)) {
      rmsprop->lr(lr);
    } else {
      throw std::logic_error("set_learning_rate: an optimizer make_optimizer does not make");
    }
  }
}

}  // namespace wgan
