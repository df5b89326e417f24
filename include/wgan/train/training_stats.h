// One stream of training statistics. A value is reported by name where it is computed
// (stats.report("real_score", d_real.mean(), "real")); the stream sums it on the device without a
// host read, moves the sums to the host at a check (every step on the CPU, every --check-every
// steps on a GPU), averages them over steps and ranks for a log line, and the sinks write them
// (stats_sinks.h: metrics.jsonl, the progress line; report.html draws every logged name). A new
// logged value is that one report line.
#pragma once
#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wgan {

class ProcessGroup;

// Host sums of the values reported under each name since a window began.
struct StatsWindow {
  struct Sum {
    double total = 0;
    double count = 0;  // how many reports the total holds
  };
  std::map<std::string, Sum> sums;
  int64_t steps = 0;  // generator steps the window covers
  void add(const StatsWindow& other);
  // The mean of the reports under `name`; NaN when it was never reported.
  double mean(const std::string& name) const;
  bool empty() const { return steps == 0; }
};

// A reported value that was NaN or Inf (or made a sum so): its name and the sum.
struct NonFiniteStat {
  std::string name;
  double value = 0;
};

class TrainingStats {
 public:
  explicit TrainingStats(torch::Device device) : device_(device) {}

  // Adds `value` (a 0-d tensor on the stream's device, any floating type) under `name`, on the
  // device. `label` is its short name in the progress line ("" = metrics.jsonl and the report only).
  // A name's first report registers it; a captured CUDA graph replays the reports it captured, and
  // the device-side counts follow the replays.
  void report(const std::string& name, const torch::Tensor& value, const std::string& label = "");
  // One generator step has ended (counted on the host: replays of a graph count too).
  void end_step() { ++steps_unread_; }

  // One host read of everything reported since the last read, added to the window. Returns the
  // first name (in the order they were registered) whose sum is not finite: a NaN or Inf anywhere
  // survives the sum.
  std::optional<NonFiniteStat> read();
  bool unread() const { return steps_unread_ > 0; }
  // The window so far, and a fresh one.
  StatsWindow take_window();

  // The names with a progress-line label, in registration order: (name, label).
  std::vector<std::pair<std::string, std::string>> progress_labels() const;

 private:
  struct Slot {
    std::string name, label;
    torch::Tensor sum_and_count;  // float64 (2) on the device
  };
  torch::Device device_;
  std::vector<Slot> slots_;
  std::map<std::string, size_t> index_;
  torch::Tensor one_;  // 1.0 on the device: each report adds (value, 1)
  int64_t steps_unread_ = 0;
  StatsWindow window_;
};

// The window's means over the ranks of `group` (each rank's sums and counts are added), in place.
// Every rank must call it at the same step with the same names.
void reduce_over_ranks(StatsWindow& window, ProcessGroup& group, torch::Device device);

}  // namespace wgan
