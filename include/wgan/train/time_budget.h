// --minutes M: a run's length from a wall-clock budget. The first steps of this process are timed
// (after a short warm-up: the allocator, the oneDNN kernels), and the length in steps is then fixed
// so that the rest of the budget, less a reserve for the final grid, checkpoint and report, is
// filled at that speed. A length in steps rather than a deadline keeps the run exact: resuming it,
// or repeating it with --steps N, trains the same steps. If the machine slows down later, the run
// still ends when the budget is spent, at the step it reached.
#pragma once
#include <chrono>
#include <cstdint>

namespace wgan {

// The step the run ends at: `step` plus the steps that fit into the budget left (less the
// reserve) at `seconds_per_step`; at least `step + 1`.
int64_t steps_within_budget(double budget_s, double elapsed_s, double seconds_per_step, int64_t step);

class TimeBudget {
 public:
  static constexpr int64_t kWarmupSteps = 3;     // steps not timed
  static constexpr int64_t kTimedSteps = 17;     // steps timed before the plan
  static constexpr double kReserveShare = 0.03;  // of the budget, kept for the final files

  // Starts the clock; `first_step` is the step the run starts from (a resumed run's);
  // `spent_seconds` of the budget went before it (planning).
  TimeBudget(double minutes, int64_t first_step, double spent_seconds = 0);

  // Call after each step: the end of the warm-up starts the timing.
  void step_done(int64_t step);
  // Times the steps after `step` afresh, for a plan not made yet (--grow: the speed at the final
  // side, not at the first).
  void time_from(int64_t step);
  // Whether the steps are timed and the length not planned yet.
  bool ready_to_plan(int64_t step) const;
  // The step the run should end at, from the timed steps' speed; marks the budget planned.
  int64_t plan(int64_t step);
  bool planned() const { return planned_; }
  // Whether the whole budget has elapsed.
  bool spent() const { return elapsed_seconds() >= budget_s_; }
  double elapsed_seconds() const;
  double budget_seconds() const { return budget_s_; }
  double seconds_per_step() const { return seconds_per_step_; }

 private:
  using Clock = std::chrono::steady_clock;
  double budget_s_;
  int64_t first_step_;
  Clock::time_point start_;
  Clock::time_point timing_start_;
  bool timing_ = false;
  bool planned_ = false;
  double seconds_per_step_ = 0;
};

}  // namespace wgan
