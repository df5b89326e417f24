// --precision bf16: the networks' forward passes run under LibTorch's autocast (convolutions and
// matrix products in bfloat16, normalisation and reductions in float32), while the weights, the
// optimizer state, the gradient penalty's norm and the losses stay float32. The default, auto,
// picks bf16 where the device computes it natively and fp32 elsewhere.
#pragma once
#include <torch/torch.h>

#include <string>

#include "wgan/util/named_enum.h"

namespace wgan {

// --precision: auto is resolved to one of the other two before training (resolve_precision).
enum class Precision { kAuto, kFp32, kBf16 };
template <>
struct EnumNames<Precision> {
  static constexpr NamedValue<Precision> values[] = {
      {Precision::kAuto, "auto"}, {Precision::kFp32, "fp32"}, {Precision::kBf16, "bf16"}};
};

// Whether a resolved precision runs the networks under bf16 autocast (auto: a logic error).
bool wants_bf16(Precision precision);

// Whether `device` has bfloat16 arithmetic in hardware: on the CPU the avx512_bf16 or amx_bf16
// instructions (read with cpuid at run time), on CUDA compute capability 8.0 or later.
bool has_native_bf16(torch::Device device);

// auto -> bf16 or fp32 for `device`; fp32 and bf16 pass through. When auto falls back to fp32,
// `notice` (if given) receives a one-line explanation.
Precision resolve_precision(Precision precision, torch::Device device, std::string* notice = nullptr);

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
