// Progressive growing (Karras et al., "Progressive Growing of GANs", ICLR 2018): the networks start
// at a low resolution and double it phase by phase, each new level faded in linearly. A network
// built with ModelConfig::grow_from > 0 runs at the phase set_growth gives it; at the data's
// resolution with the fade-in complete it computes exactly the network of its architecture without
// growing, so a grown generator is an ordinary one (sample, eval and export load it as such).
#pragma once
#include <cstdint>
#include <map>

namespace wgan {

// Where a run is in its growth.
struct GrowthPhase {
  int64_t resolution = 0;  // the side the networks run at now
  double alpha = 1.0;      // the newest level's weight: 0 at the start of its fade-in, 1 after it
  bool fading() const { return alpha < 1.0; }
};

// The phases of a run: `from` for `images_per_phase` real images, then for each doubling a fade-in
// and a stable phase of as many images each, and after the fade-in of `to` the final resolution
// for good. A function of the images seen only, so a resumed run is in the same phase.
class GrowthSchedule {
 public:
  GrowthSchedule(int64_t from, int64_t to, double images_per_phase);
  GrowthPhase at(int64_t images_seen) const;
  int64_t doublings() const { return doublings_; }
  // Real images after which the final resolution is faded in completely.
  double grown_after() const { return images_per_phase_ * static_cast<double>(2 * doublings_); }

 private:
  int64_t from_, to_, doublings_ = 0;
  double images_per_phase_;
};

// Images per phase when --grow-kimg is not given: the run's images split into 2 * doublings + 2
// equal shares, so that every lower resolution gets one share to fade in and one to train, and
// the final one its fade-in and two shares of training.
double default_images_per_phase(int64_t from, int64_t to, double total_images);

// Images per phase for a time budget (--minutes without --grow-kimg): the length with which the
// phases up to the end of the final side's fade-in take `seconds`, at `seconds_per_image` (the
// time per real image at each side, timed; a fade-in is costed at its new side's speed).
double images_per_phase_for_time(int64_t from, int64_t to, const std::map<int64_t, double>& seconds_per_image,
                                 double seconds);

}  // namespace wgan
