// Wall time per named phase of a loop, for the speed benchmark's breakdown. Disabled, a lap() is
// one branch. Timings are host wall time: on a GPU they are only meaningful with a sync per lap,
// which set_sync provides (the trainer passes a CUDA synchronize on GPU runs).
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <string>

namespace wgan {

class PhaseTimer {
 public:
  void enable(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }
  // Called before every reading of the clock while enabled (waits for queued device work).
  void set_sync(std::function<void()> sync) { sync_ = std::move(sync); }
  // Starts timing from now (the beginning of an iteration).
  void start() {
    if (!enabled_) return;
    if (sync_) sync_();
    last_ = std::chrono::steady_clock::now();
  }
  // Charges the time since the previous lap (or start) to `phase`.
  void lap(const char* phase) {
    if (!enabled_) return;
    if (sync_) sync_();
    const auto now = std::chrono::steady_clock::now();
    totals_[phase] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }
  const std::map<std::string, double>& totals() const { return totals_; }
  void clear() { totals_.clear(); }

 private:
  bool enabled_ = false;
  std::chrono::steady_clock::time_point last_;
  std::map<std::string, double> totals_;
  std::function<void()> sync_;
};

}  // namespace wgan
