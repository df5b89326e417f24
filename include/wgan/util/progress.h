// A one-line progress bar for long work. On a terminal it redraws in place; when stderr is a
// file or pipe it prints a plain line at most every few seconds, so logs stay readable.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace wgan {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, int64_t start = 0);
  // Shows `done` out of the total with a free-form suffix (losses, rates).
  void update(int64_t done, const std::string& suffix, bool force = false);
  // Ends the line.
  void finish();

  static std::string format_duration(double seconds);

 private:
  std::string label_;
  int64_t total_;
  int64_t start_;
  bool is_tty_;
  bool open_line_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace wgan
