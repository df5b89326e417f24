#include "wgan/augment/adaptive_augment.h"

#include <algorithm>

namespace wgan {

namespace {
constexpr double kSmoothing = 0.9;  // per measurement: a window of about 10 (40 generator steps)

double ratio(double overfit, double gap) { return gap > 0 ? overfit / gap : 0.0; }
}  // namespace

AdaptiveAugment::AdaptiveAugment(double target, double kimg, int64_t images_per_check)
    : target_(target), step_(static_cast<double>(images_per_check) / (kimg * 1000.0)) {}

double AdaptiveAugment::update(double p, double train_score, double held_out_score, double fake_score) {
  const double overfit = train_score - held_out_score, gap = train_score - fake_score;
  if (!started_) {
    overfit_ = overfit;
    gap_ = gap;
    started_ = true;
  } else {
    overfit_ = kSmoothing * overfit_ + (1 - kSmoothing) * overfit;
    gap_ = kSmoothing * gap_ + (1 - kSmoothing) * gap;
  }
  signal_ = ratio(overfit_, gap_);
  // ADA's rule: a fixed step towards the target, up when the critic overfits more than it says.
  const double direction = signal_ > target_ ? 1.0 : -1.0;
  return std::clamp(p + direction * step_, 0.0, 1.0);
}

std::vector<double> AdaptiveAugment::smoothing() const {
  if (!started_) return {};
  return {overfit_, gap_};
}

void AdaptiveAugment::restore(const std::vector<double>& smoothing) {
  started_ = smoothing.size() == 2;
  if (!started_) return;
  overfit_ = smoothing[0];
  gap_ = smoothing[1];
  signal_ = ratio(overfit_, gap_);
}

double overfitting_signal(double train_score, double held_out_score, double fake_score) {
  return ratio(train_score - held_out_score, train_score - fake_score);
}

}  // namespace wgan
