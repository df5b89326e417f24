#include "wgan/util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace wgan {

ProgressBar::ProgressBar(std::string label, int64_t total, int64_t start)
    : label_(std::move(label)),
      total_(total),
      start_(start),
      is_tty_(::isatty(STDERR_FILENO) != 0),
      started_(std::chrono::steady_clock::now()),
      last_draw_(started_ - std::chrono::hours(1)) {}

std::string ProgressBar::format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "--:--";
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>((s / 60) % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

void ProgressBar::update(int64_t done, const std::string& suffix, bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  const double min_interval = is_tty_ ? 0.2 : 10.0;
  if (!force && since_draw < min_interval && done < total_) return;
  last_draw_ = now;

  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const int64_t progressed = done - start_;
  const double eta = progressed > 0 ? elapsed * static_cast<double>(total_ - done) / progressed : -1.0;
  const double frac = total_ > 0 ? static_cast<double>(done) / total_ : 1.0;

  constexpr int kWidth = 24;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');

  std::fprintf(stderr, "%s%s [%s] %3d%% %lld/%lld %s<%s %s%s", is_tty_ ? "\r\033[K" : "", label_.c_str(),
               bar.c_str(), static_cast<int>(frac * 100), static_cast<long long>(done),
               static_cast<long long>(total_), format_duration(elapsed).c_str(), format_duration(eta).c_str(),
               suffix.c_str(), is_tty_ ? "" : "\n");
  std::fflush(stderr);
  open_line_ = is_tty_;
}

void ProgressBar::finish() {
  if (open_line_) std::fprintf(stderr, "\n");
  open_line_ = false;
}

}  // namespace wgan
