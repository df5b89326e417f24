// --augment-p ada: the augmentation probability p steered by how much the critic overfits (ADA,
// Karras et al. 2020), written for a Wasserstein critic.
//
// ADA's own signal, r_t = E[sign(D(real))], assumes a critic whose scores are centred on 0 (the
// logistic loss). A Wasserstein critic's are not: it only ranks real above generated, so its real
// scores are positive whenever the generator is still poor, overfitting or not (tried: p rose from 0
// to 0.64 in the first 40 steps of a fresh run). The signal here is ADA's validation form instead,
//     r = (D(train) - D(held-out)) / (D(train) - D(generated)),
// the mean scores of training images, real images the critic never trains on, and generated ones,
// all seen through the same augmentation. r is about 0 while the critic scores unseen real images as
// its training images (it has learnt the distribution, not the images) and approaches 1 when it
// scores them like generated ones (it has memorised the training set). It is scale-free, so one
// target fits any critic and loss.
#pragma once
#include <cstdint>
#include <vector>

namespace wgan {

class AdaptiveAugment {
 public:
  // How often the signal is measured, in generator steps (ADA: every 4 minibatches).
  static constexpr int64_t kInterval = 4;

  // target: the r that p is steered to; kimg: the thousands of real images over which p can move
  // from 0 to 1; images_per_check: the real images the critic sees between two measurements.
  AdaptiveAugment(double target, double kimg, int64_t images_per_check);

  // One measurement's mean scores; returns the next p (in [0, 1]) from the current one. The three
  // means are smoothed over the last ~10 measurements first (one batch each is noisy).
  double update(double p, double train_score, double held_out_score, double fake_score);
  // The smoothed r of the last update (0 before the first).
  double signal() const { return signal_; }
  // The smoothed differences, for a checkpoint (empty before the first update), and back.
  std::vector<double> smoothing() const;
  void restore(const std::vector<double>& smoothing);

 private:
  double target_, step_;
  double overfit_ = 0, gap_ = 0;  // smoothed D(train) - D(held-out) and D(train) - D(generated)
  bool started_ = false;
  double signal_ = 0;
};

// r from one set of means; 0 when the critic does not rank training above generated images (then
// there is nothing to overfit yet).
double overfitting_signal(double train_score, double held_out_score, double fake_score);

}  // namespace wgan
