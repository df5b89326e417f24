// Where the training statistics (training_stats.h) go: a metrics.jsonl line and the progress
// line's detail. report.html draws every numeric field of metrics.jsonl, so it needs no sink of
// its own. A new sink (TensorBoard, CSV) is one more function here, called where the loop logs.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "wgan/train/training_stats.h"

namespace wgan {

// One log line: when it was taken and the window's means.
struct LogLine {
  int64_t step = 0;
  double kimg = 0;
  double time_s = 0;        // training seconds so far
  double images_per_s = 0;  // real images per second over the window
  StatsWindow window;
  nlohmann::json extras = nlohmann::json::object();  // host values of the moment (augment_p, ...)
};

// The JSON object of a metrics.jsonl line: step, kimg, time_s, images_per_s, the mean of every
// reported name, then the extras.
nlohmann::json metrics_json(const LogLine& line);

// Appends the line to RUN_DIR/metrics.jsonl (UserError naming the file when it cannot).
void append_metrics_line(const std::string& run_dir, const LogLine& line);

// "D 1.234 W 0.567 GP 0.089 ...": the means of the labelled names, in the order given.
std::string progress_detail(const StatsWindow& window, const std::vector<std::pair<std::string, std::string>>& labels);

}  // namespace wgan
