// --lr-decay: how the learning rate of both networks changes over a run.
#pragma once
#include <cstdint>

#include "wgan/util/named_enum.h"

namespace wgan {

// --lr-decay: none, or linear (to 0 at the last step, the WGAN-GP paper's ResNet schedule).
enum class LrDecay { kNone, kLinear };
template <>
struct EnumNames<LrDecay> {
  static constexpr NamedValue<LrDecay> values[] = {{LrDecay::kNone, "none"}, {LrDecay::kLinear, "linear"}};
};

// The learning rate for generator step `step` (0-based) of `total_steps`: `lr` for none,
// lr * (1 - step / total_steps) for linear.
double scheduled_learning_rate(LrDecay decay, double lr, int64_t step, int64_t total_steps);

}  // namespace wgan
