#include "wgan/train/training_stats.h"

#include <cmath>
#include <limits>

#include "wgan/dist/process_group.h"

namespace wgan {

void StatsWindow::add(const StatsWindow& other) {
  for (const auto& [name, sum] : other.sums) {
    sums[name].total += sum.total;
    sums[name].count += sum.count;
  }
  steps += other.steps;
}

double StatsWindow::mean(const std::string& name) const {
  const auto it = sums.find(name);
  if (it == sums.end() || it->second.count == 0) return std::numeric_limits<double>::quiet_NaN();
  return it->second.total / it->second.count;
}

void TrainingStats::report(const std::string& name, const torch::Tensor& value, const std::string& label) {
  torch::NoGradGuard no_grad;
  auto it = index_.find(name);
  if (it == index_.end()) {
    const auto options = torch::TensorOptions().dtype(torch::kFloat64).device(device_);
    if (!one_.defined()) one_ = torch::ones({}, options);
    it = index_.emplace(name, slots_.size()).first;
    slots_.push_back({name, label, torch::zeros({2}, options)});
  }
  slots_[it->second].sum_and_count.add_(torch::stack({value.detach().reshape({}).to(torch::kFloat64), one_}));
}

std::optional<NonFiniteStat> TrainingStats::read() {
  StatsWindow read;
  read.steps = steps_unread_;
  steps_unread_ = 0;
  std::optional<NonFiniteStat> bad;
  if (!slots_.empty()) {
    std::vector<torch::Tensor> rows;
    for (const auto& slot : slots_) rows.push_back(slot.sum_and_count);
    // One copy for every name; a copy even on the CPU, since the slots are zeroed next.
    const auto host = torch::stack(rows).to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true);
    for (auto& slot : slots_) slot.sum_and_count.zero_();
    const double* x = host.data_ptr<double>();
    for (size_t i = 0; i < slots_.size(); ++i) {
      const double total = x[2 * i], count = x[2 * i + 1];
      if (!std::isfinite(total) && !bad) bad = NonFiniteStat{slots_[i].name, total};
      if (count > 0) read.sums[slots_[i].name] = {total, count};
    }
  }
  window_.add(read);
  return bad;
}

StatsWindow TrainingStats::take_window() {
  StatsWindow taken = std::move(window_);
  window_ = StatsWindow();
  return taken;
}

std::vector<std::pair<std::string, std::string>> TrainingStats::progress_labels() const {
  std::vector<std::pair<std::string, std::string>> labels;
  for (const auto& slot : slots_)
    if (!slot.label.empty()) labels.emplace_back(slot.name, slot.label);
  return labels;
}

void reduce_over_ranks(StatsWindow& window, ProcessGroup& group, torch::Device device) {
  if (group.world_size() == 1 || window.sums.empty()) return;
  std::vector<double> flat;
  for (const auto& [name, sum] : window.sums) {
    flat.push_back(sum.total);
    flat.push_back(sum.count);
  }
  auto tensor = torch::tensor(flat, torch::kFloat64).to(device);
  group.allreduce_(tensor, ReduceOp::kSum);
  const auto host = tensor.cpu();
  const double* x = host.data_ptr<double>();
  size_t i = 0;
  for (auto& [name, sum] : window.sums) {
    sum.total = x[i++];
    sum.count = x[i++];
  }
}

}  // namespace wgan
