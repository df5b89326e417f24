// --grow: the phase each iteration runs at (models/growth.h), the data downscaled to it once per
// phase, and the real images blended like the generator's during a fade-in.
#include "wgan/data/downscale.h"
#include "wgan/train/trainer.h"

namespace wgan {

void Trainer::follow_growth() {
  if (config_.model.grow_from == 0) return;
  const GrowthPhase phase = growth_phase(config_, state_.real_batches);
  const bool new_side = phase.resolution != phase_.resolution;
  phase_ = phase;
  networks_.generator->set_growth(phase_, /*final_size=*/false);
  networks_.critic->set_growth(phase_, /*final_size=*/false);
  if (generator_ema_) generator_ema_->set_growth(phase_, /*final_size=*/true);  // it only makes grids
  if (!new_side) return;
  prefetcher_.discard();  // a batch fetched ahead came from the previous side
  phase_data_ = phase_.resolution == dataset_.resolution() ? ImageDataset() : downscale(dataset_, phase_.resolution);
  if (device_batches_) device_batches_ = std::make_unique<DeviceBatches>(phase_dataset(), device_);
}

const ImageDataset& Trainer::phase_dataset() const {
  return phase_data_.images.defined() ? phase_data_ : dataset_;
}

HostBatch Trainer::host_batch(int64_t index) { return batcher_.labeled_batch(index, phase_dataset()); }

torch::Tensor Trainer::fade_real(const torch::Tensor& images) const {
  if (!phase_.fading()) return images;
  // The previous side's image, upsampled: what the generator's old path makes.
  return torch::lerp(upsample_nearest_2x(torch::avg_pool2d(images, 2)), images, phase_.alpha);
}

torch::Tensor Trainer::at_phase_side(const torch::Tensor& images) const {
  if (config_.model.grow_from == 0) return images;
  const int64_t factor = images.size(2) / phase_.resolution;
  return factor > 1 ? torch::avg_pool2d(images, factor) : images;
}

void Trainer::sample_at_final_size(bool on) {
  if (config_.model.grow_from > 0 && !generator_ema_) networks_.generator->set_growth(phase_, on);
}

}  // namespace wgan
