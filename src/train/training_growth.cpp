// --grow: the phase each iteration runs at (models/growth.h), the data downscaled to it once per
// phase, and the real images blended like the generator's during a fade-in.
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

#include "wgan/data/downscale.h"
#include "wgan/optim/foreach_adam.h"
#include "wgan/train/trainer.h"
#include "wgan/generate/class_labels.h"

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

namespace {

// Puts the default random generators (the CPU's, the GPU's) back as they were when it was made.
class RandomStateGuard {
 public:
  explicit RandomStateGuard(torch::Device device) {
    keep(at::detail::getDefaultCPUGenerator());
    if (device.is_cuda()) keep(at::globalContext().defaultGenerator(device));
  }
  ~RandomStateGuard() {
    for (auto& [generator, state] : kept_) {
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(state);
    }
  }

 private:
  void keep(at::Generator generator) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    kept_.emplace_back(generator, generator.get_state());
  }
  std::vector<std::pair<at::Generator, torch::Tensor>> kept_;
};

}  // namespace

void Trainer::plan_growth_for_budget() {
  const auto start = std::chrono::steady_clock::now();
  std::map<int64_t, double> seconds_per_image;
  {
    RandomStateGuard keep_random_state(device_);
    TrainedNetworks probe;
    probe.generator = make_generator(config_.model);
    probe.critic = make_critic(config_.model);
    place_on_device(*probe.generator);
    place_on_device(*probe.critic);
    probe.generator_opt = make_optimizer(loss_.optimizer, probe.generator->parameters(), *config_.lr, *config_.beta1,
                                         *config_.beta2);
    probe.critic_opt =
        make_optimizer(loss_.optimizer, probe.critic->parameters(), *config_.lr, *config_.beta1, *config_.beta2);
    TrainingStats stats(device_);
    TrainStep step(step_options_, loss_, probe, stats);
    if (config_.model.conditional()) step.set_class_cdf(class_cdf(config_.model).to(torch::kFloat32).to(device_));
    const auto options = torch::TensorOptions().device(device_);
    for (int64_t side = config_.model.grow_from; side <= config_.model.resolution; side *= 2) {
      probe.generator->set_growth({side, 1.0}, /*final_size=*/false);
      probe.critic->set_growth({side, 1.0}, /*final_size=*/false);
      RealBatch real{torch::rand({config_.batch, config_.model.channels, side, side}, options) * 2 - 1, {}};
      if (config_.model.conditional())
        real.labels = torch::randint(config_.model.classes(), {config_.batch}, options.dtype(torch::kLong));
      if (channels_last_) real.images = real.images.contiguous(torch::MemoryFormat::ChannelsLast);
      auto one_step = [&] {
        step.run([&](int64_t) { return real; }, 0, /*check=*/false);
        stats.read();
        if (device_.is_cuda()) torch::cuda::synchronize();
      };
      one_step();  // warm-up: allocations, kernel choice
      const auto timed = std::chrono::steady_clock::now();
      one_step();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - timed).count();
      seconds_per_image[side] = seconds / static_cast<double>(config_.batch * *config_.n_critic);
    }
  }
  const double budget_s = *config_.minutes * 60.0;
  config_.grow_kimg = images_per_phase_for_time(config_.model.grow_from, config_.model.resolution, seconds_per_image,
                                                kGrowthBudgetShare * budget_s) / 1000.0;
  planning_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!is_main() || quiet_) return;
  std::fprintf(stderr, "--minutes %g --grow: one step timed at each side (%.1f s); --grow-kimg %.1f grows the "
                       "networks in about half the budget\n",
               *config_.minutes, planning_seconds_, *config_.grow_kimg);
}

}  // namespace wgan
