#include "wgan/train/stats_sinks.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "wgan/util/atomic_file.h"

namespace wgan {

nlohmann::json metrics_json(const LogLine& line) {
  nlohmann::json json = {
      {"step", line.step},
      {"kimg", line.kimg},
      {"time_s", line.time_s},
      {"images_per_s", line.images_per_s},
  };
  for (const auto& [name, sum] : line.window.sums)
    if (sum.count > 0) json[name] = sum.total / sum.count;
  json.update(line.extras);
  return json;
}

void append_metrics_line(const std::string& run_dir, const LogLine& line) {
  append_line((std::filesystem::path(run_dir) / "metrics.jsonl").string(), metrics_json(line).dump());
}

std::string progress_detail(const StatsWindow& window, const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string text;
  for (const auto& [name, label] : labels) {
    const double mean = window.mean(name);
    if (std::isnan(mean) && !window.sums.count(name)) continue;
    char value[32];
    std::snprintf(value, sizeof value, "%.3f", mean);
    text += (text.empty() ? "" : " ") + label + " " + value;
  }
  return text;
}

}  // namespace wgan
