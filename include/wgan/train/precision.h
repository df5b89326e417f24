// --precision bf16: the networks' forward passes run under LibTorch's autocast (convolutions and
// matrix products in bfloat16, normalisation and reductions in float32), while the weights, the
// optimizer state, the gradient penalty's norm and the losses stay float32. fp32 is the default.
#pragma once
#include <torch/torch.h>

#include <string>

namespace wgan {

// Throws UserError unless `precision` is fp32 or bf16.
bool wants_bf16(const std::string& precision);

// Autocast to bfloat16 on `device` for the lifetime of the scope (nothing when !enabled). On exit
// the previous state comes back and the cast-weight cache is cleared: the optimizer changes the
// weights in place, so a cached bfloat16 copy would be stale at the next step.
class AutocastScope {
 public:
  AutocastScope(torch::Device device, bool enabled);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_;
  c10::DeviceType type_;
  bool previous_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace wgan
