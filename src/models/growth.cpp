#include "wgan/models/growth.h"

#include <algorithm>
#include <cmath>

namespace wgan {

namespace {
int64_t doublings_between(int64_t from, int64_t to) {
  int64_t n = 0;
  for (int64_t r = from; r < to; r *= 2) ++n;
  return n;
}
}  // namespace

GrowthSchedule::GrowthSchedule(int64_t from, int64_t to, double images_per_phase)
    : from_(from), to_(to), doublings_(doublings_between(from, to)), images_per_phase_(images_per_phase) {}

GrowthPhase GrowthSchedule::at(int64_t images_seen) const {
  // Phase 0 trains `from`; phase 2k-1 fades in from * 2^k, phase 2k trains it.
  const double position = static_cast<double>(images_seen) / images_per_phase_;
  if (position < 1.0) return {from_, 1.0};
  const double after_first = position - 1.0;
  const auto doubling = static_cast<int64_t>(std::floor(after_first / 2.0)) + 1;
  if (doubling > doublings_) return {to_, 1.0};
  const double within = after_first - 2.0 * static_cast<double>(doubling - 1);  // [0, 2)
  return {from_ << doubling, std::min(1.0, within)};
}

double default_images_per_phase(int64_t from, int64_t to, double total_images) {
  const int64_t shares = 2 * doublings_between(from, to) + 2;
  return std::max(1.0, total_images / static_cast<double>(shares));
}

double images_per_phase_for_time(int64_t from, int64_t to, const std::map<int64_t, double>& seconds_per_image,
                                 double seconds) {
  // One phase at `from`, a fade-in and a stable phase at each side between, the fade-in of `to`.
  double per_image_of_every_phase = 0;
  for (int64_t side = from; side <= to; side *= 2)
    per_image_of_every_phase += (side == from || side == to ? 1.0 : 2.0) * seconds_per_image.at(side);
  return std::max(1.0, seconds / per_image_of_every_phase);
}

}  // namespace wgan
