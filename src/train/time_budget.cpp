#include "wgan/train/time_budget.h"

#include <algorithm>
#include <cmath>

namespace wgan {

int64_t steps_within_budget(double budget_s, double elapsed_s, double seconds_per_step, int64_t step) {
  const double left = budget_s * (1.0 - TimeBudget::kReserveShare) - elapsed_s;
  if (!(seconds_per_step > 0) || !(left > 0)) return step + 1;
  return step + std::max<int64_t>(1, static_cast<int64_t>(std::floor(left / seconds_per_step)));
}

TimeBudget::TimeBudget(double minutes, int64_t first_step, double spent_seconds)
    : budget_s_(minutes * 60.0), first_step_(first_step),
      start_(Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spent_seconds))) {}

double TimeBudget::elapsed_seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

void TimeBudget::step_done(int64_t step) {
  if (!timing_ && step >= first_step_ + kWarmupSteps) {
    timing_start_ = Clock::now();
    timing_ = true;
  }
}

void TimeBudget::time_from(int64_t step) {
  first_step_ = step;
  timing_ = false;
}

bool TimeBudget::ready_to_plan(int64_t step) const {
  return !planned_ && timing_ && step >= first_step_ + kWarmupSteps + kTimedSteps;
}

int64_t TimeBudget::plan(int64_t step) {
  const double timed = std::chrono::duration<double>(Clock::now() - timing_start_).count();
  seconds_per_step_ = timed / static_cast<double>(step - first_step_ - kWarmupSteps);
  planned_ = true;
  return steps_within_budget(budget_s_, elapsed_seconds(), seconds_per_step_, step);
}

}  // namespace wgan
