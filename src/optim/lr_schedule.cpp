#include "wgan/optim/lr_schedule.h"

#include <algorithm>

namespace wgan {

double scheduled_learning_rate(LrDecay decay, double lr, int64_t step, int64_t total_steps) {
  if (decay != LrDecay::kLinear || total_steps <= 0) return lr;
  return lr * std::max(0.0, 1.0 - static_cast<double>(step) / static_cast<double>(total_steps));
}

}  // namespace wgan
