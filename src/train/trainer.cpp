#include "wgan/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "wgan/io/image_grid.h"
#include "wgan/train/foreach_adam.h"
#include "wgan/train/moving_average.h"
#include "wgan/train/precision.h"
#include "wgan/train/sampling.h"
#include "wgan/io/report_command.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/progress.h"

namespace fs = std::filesystem;

namespace wgan {

void StepStats::add(const StepStats& o) {
  critic_loss += o.critic_loss;
  wasserstein += o.wasserstein;
  penalty += o.penalty;
  generator_loss += o.generator_loss;
  count += o.count;
}

StepStats StepStats::mean() const {
  StepStats m = *this;
  if (count > 0) {
    m.critic_loss /= count;
    m.wasserstein /= count;
    m.penalty /= count;
    m.generator_loss /= count;
    m.count = 1;
  }
  return m;
}

namespace {
int g_default_cuda_index = 0;
}  // namespace

void set_default_cuda_index(int index) { g_default_cuda_index = index; }

torch::Device resolve_device(const std::string& name) {
  if (name != "cpu" && name != "cuda" && name != "auto")
    throw UserError("--device '" + name + "' must be cpu, cuda or auto");
  if (name == "cpu") return torch::kCPU;
  const bool has_cuda = torch::cuda::is_available();
  const auto cuda = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(g_default_cuda_index));
  if (name == "cuda") {
    if (!has_cuda) throw UserError("--device cuda: no CUDA device is available to this LibTorch build");
    return cuda;
  }
  return has_cuda ? cuda : torch::Device(torch::kCPU);
}

namespace {

void set_requires_grad(torch::nn::Module& module, bool on) {
  for (auto& p : module.parameters()) p.requires_grad_(on);
}

// Sum of squared gradients as a 0-d tensor on the device (read with the losses).
torch::Tensor squared_grad_norm(torch::nn::Module& module) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : module.parameters())
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return torch::zeros({}, module.parameters().front().options());
  return torch::stack(at::_foreach_norm(grads)).pow(2).sum();
}

torch::Tensor to_float32(const torch::Tensor& t) { return t.to(torch::kFloat32); }
CriticOutput to_float32(const CriticOutput& out) { return {to_float32(out.score), to_float32(out.class_logits)}; }

// A forward pass under autocast when bf16 is on, returned as float32 (a no-op in fp32) so that
// losses and the penalty's norm stay float32. The cast happens after autocast ends.
template <typename Forward>
auto forward_float32(torch::Device device, bool bf16, Forward forward) {
  decltype(forward()) out;
  {
    AutocastScope autocast(device, bf16);
    out = forward();
  }
  return to_float32(out);
}

// NHWC memory for every 4-D weight; the layers then keep their activations in NHWC.
void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
}

}  // namespace

Trainer::Trainer(TrainConfig config, const ImageDataset& dataset, bool quiet)
    : Trainer(std::move(config), dataset, [quiet] {
        TrainerSetup setup;
        setup.quiet = quiet;
        return setup;
      }()) {}

Trainer::Trainer(TrainConfig config, const ImageDataset& dataset, TrainerSetup setup)
    : config_(std::move(config)),
      dataset_(dataset),
      quiet_(setup.quiet),
      device_(resolve_device(config_.device)),
      loss_(make_loss(config_.loss)),
      batcher_(dataset, config_.batch, config_.seed, config_.xflip),
      prefetcher_([this](int64_t index) { return batcher_.labeled_batch(index); }),
      local_batch_(config_.batch) {
  // ---- How the step runs: the loss's options, precision, memory layout, host reads.
  loss_options_.gp_lambda = config_.gp_lambda;
  loss_options_.clip = config_.clip;
  loss_options_.joint_pass = config_.model.critic_norm != "batch";  // per-sample critics only
  std::string precision_notice;  // auto becomes what was chosen, so config.json and checkpoints record it
  config_.precision = resolve_precision(config_.precision, device_, &precision_notice);
  if (!precision_notice.empty() && !quiet_) std::cerr << precision_notice << "\n";
  bf16_ = wants_bf16(config_.precision);
  channels_last_ = config_.channels_last;
  check_every_ = effective_check_every(config_, device_);
  if (device_.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);  // fixed shapes: let cuDNN pick its fastest
  if (device_.is_cuda()) timer_.set_sync([] { torch::cuda::synchronize(); });  // per-phase times mean GPU time too

  // ---- Networks, the moving average and the fixed z, from --seed.
  torch::manual_seed(config_.seed);
  generator_ = make_generator(config_.model);
  critic_ = make_critic(config_.model);
  if (config_.ema_kimg > 0) {
    generator_ema_ = make_generator(config_.model);
    copy_module_state(*generator_, *generator_ema_);
    generator_ema_->eval();
    set_requires_grad(*generator_ema_, false);
  }
  // The fixed z comes from its own generator so it does not depend on the device.
  auto z_generator = at::detail::createCPUGenerator(config_.seed + 7919);
  fixed_z_ = torch::randn({config_.sample_count, config_.model.latent_dim}, z_generator,
                          torch::TensorOptions().dtype(torch::kFloat32));

  // ---- Onto the device, with the data there too when it fits (--gpu-data).
  generator_->to(device_);
  critic_->to(device_);
  if (generator_ema_) generator_ema_->to(device_);
  if (channels_last_) {
    to_channels_last(*generator_);
    to_channels_last(*critic_);
    if (generator_ema_) to_channels_last(*generator_ema_);
  }
  if (device_.is_cuda() && (config_.gpu_data == "on" || (config_.gpu_data == "auto" && DeviceBatches::fits(dataset))))
    device_batches_ = std::make_unique<DeviceBatches>(dataset, device_);
  if (config_.model.conditional()) {
    if (!dataset.has_labels()) throw UserError("a conditional model needs the dataset's labels (--cond)");
    class_cdf_ = class_cdf(config_.model).to(torch::kFloat32).to(device_);
    if (device_batches_) device_labels_ = dataset.labels.to(device_);
    if (config_.model.class_head) class_loss_weight_ = config_.class_loss;
  }
  pending_ = torch::zeros({kPendingSlots}, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  if (config_.cuda_graph) step_graph_ = std::make_unique<StepGraph>();
  fixed_z_ = fixed_z_.to(device_);

  // ---- What the critic sees (--augment): the transforms and their probability.
  augment_kinds_ = parse_augment_list(config_.augment);
  if (config_.augment_ada) {
    if (!setup.held_out || setup.held_out->size() == 0)
      throw UserError("--augment-p ada needs held-out real images (load_training_data's held_out)");
    held_out_ = setup.held_out;
    ada_ = std::make_unique<AdaptiveAugment>(config_.ada_target, config_.ada_kimg,
                                             AdaptiveAugment::kInterval * *config_.n_critic * config_.batch);
  }

  // ---- Optimizers, as the loss trains.
  const auto optimizer = loss_.optimizer;
  generator_opt_ = make_optimizer(optimizer, generator_->parameters(), *config_.lr, *config_.beta1, *config_.beta2);
  critic_opt_ = make_optimizer(optimizer, critic_->parameters(), *config_.lr, *config_.beta1, *config_.beta2);

  // ---- From a checkpoint, then across the ranks (rank 0's weights win).
  if (!setup.resume_from.empty()) resume(setup.resume_from);
  if (setup.group) join_group(std::move(setup.group));
  if (state_.augment_p < 0) state_.augment_p = config_.augment_p;  // a new run, or a checkpoint without it
  if (ada_) ada_->restore(state_.ada_smoothing);
  augment_p_ = torch::full({}, state_.augment_p, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
}

void Trainer::resume(const std::string& checkpoint_file) {
  CheckpointReader reader(checkpoint_file, device_);
  const auto& saved = reader.config().model;
  const auto& ours = config_.model;
  if (saved.arch != ours.arch || saved.resolution != ours.resolution || saved.channels != ours.channels ||
      saved.latent_dim != ours.latent_dim || saved.width != ours.width || saved.critic_norm != ours.critic_norm ||
      saved.class_names != ours.class_names || saved.class_head != ours.class_head ||
      reader.config().loss != config_.loss) {
    throw UserError("checkpoint " + checkpoint_file + " was trained with other networks or another loss");
  }
  reader.load_module("G", *generator_);
  reader.load_module("D", *critic_);
  if (generator_ema_) {
    reader.load_module(reader.has("G_ema") ? "G_ema" : "G", *generator_ema_);
  }
  reader.load_optimizer("opt_G", *generator_opt_);
  reader.load_optimizer("opt_D", *critic_opt_);
  fixed_z_ = reader.tensor("fixed_z").to(device_);
  reader.restore_rng();
  state_ = reader.state();
  last_checkpoint_ = checkpoint_file;
}

void Trainer::join_group(std::shared_ptr<ProcessGroup> group) {
  group_ = std::move(group);
  if (group_->world_size() == 1) return;
  const int world = group_->world_size();
  local_batch_ = config_.batch / world;
  batcher_.set_shard(group_->rank(), world);
  broadcast_module(*group_, *generator_);
  broadcast_module(*group_, *critic_);
  if (generator_ema_) broadcast_module(*group_, *generator_ema_);
  if (!is_main()) quiet_ = true;
}

// This rank's rows of a draw made for the whole batch: every rank draws the same numbers (same
// seed), so N ranks see exactly the noise one process with the total batch would.
torch::Tensor Trainer::my_share(const torch::Tensor& whole) const {
  if (!group_ || group_->world_size() == 1) return whole;
  return whole.narrow(0, group_->rank() * local_batch_, local_batch_);
}

void Trainer::diverged(const std::string& when, const char* term, double value, const std::string& detail) const {
  std::string message =
      "training diverged " + when + ": " + term + " is " + (std::isnan(value) ? "NaN" : "Inf") + detail;
  message += last_checkpoint_.empty() ? "; no checkpoint was written yet"
                                      : "; the last good checkpoint is " + last_checkpoint_ +
                                            " (wgan train --resume " + config_.run_dir + " continues from it)";
  throw TrainingDiverged(message);
}

void Trainer::check_finite(double value, const char* term) const {
  if (!std::isfinite(value))
    diverged("at step " + std::to_string(state_.step + 1), term, value, "; nothing was saved from this step");
}

Trainer::RealBatch Trainer::next_real_batch() {
  RealBatch real;
  const bool conditional = config_.model.conditional();
  if (device_batches_) {
    const auto plan = batcher_.plan(state_.real_batches);
    real.images = device_batches_->batch(plan, channels_last_);
    if (conditional) real.labels = device_labels_.index_select(0, plan.indices.to(device_, /*non_blocking=*/true));
  } else {
    auto host = prefetcher_.get(state_.real_batches);
    // From pinned memory the copy does not make the host wait for the GPU's queue.
    const bool cuda = device_.is_cuda();
    real.images = to_signed_unit(cuda ? host.images.pin_memory().to(device_, /*non_blocking=*/true)
                                      : host.images.to(device_));
    if (channels_last_) real.images = real.images.contiguous(torch::MemoryFormat::ChannelsLast);
    if (conditional) real.labels = host.labels.to(device_);
  }
  return real;
}

torch::Tensor Trainer::random_labels() {
  if (!class_cdf_.defined()) return {};
  auto u = torch::rand({config_.batch}, class_cdf_.options());
  // The class whose cumulative share first exceeds u; the clamp guards the last entry's rounding.
  auto labels = torch::searchsorted(class_cdf_, u, /*out_int32=*/false, /*right=*/true)
                    .clamp_max_(config_.model.classes() - 1);
  return my_share(labels);
}

torch::Tensor Trainer::see(const torch::Tensor& images) {
  return augment_kinds_.empty() ? images : augment(images, augment_kinds_, augment_p_);
}

Trainer::RealBatch Trainer::random_real_batch(const ImageDataset& data) {
  auto rows = my_share(torch::randint(data.size(), {config_.batch}, torch::kInt64));
  RealBatch batch;
  batch.images = to_signed_unit(gather_batch(data.images, rows, {}).contiguous()).to(device_);
  if (channels_last_) batch.images = batch.images.contiguous(torch::MemoryFormat::ChannelsLast);
  if (config_.model.conditional()) batch.labels = data.labels.index_select(0, rows).to(device_);
  return batch;
}

void Trainer::adapt_augment_p() {
  torch::NoGradGuard no_grad;
  const auto train = random_real_batch(dataset_), held_out = random_real_batch(*held_out_);
  const auto labels = random_labels();
  const auto z = my_share(torch::randn({config_.batch, config_.model.latent_dim},
                                       torch::TensorOptions().dtype(torch::kFloat32).device(device_)));
  auto means = torch::stack({score(see(train.images), train.labels).mean(),
                             score(see(held_out.images), held_out.labels).mean(),
                             score(see(generate(z, labels)), labels).mean()})
                   .to(torch::kFloat64);
  if (group_ && group_->world_size() > 1) {  // every rank moves p by the same signal
    group_->allreduce_(means, ReduceOp::kSum);
    means.div_(group_->world_size());
  }
  auto host = means.cpu();
  const double* m = host.data_ptr<double>();
  state_.augment_p = ada_->update(state_.augment_p, m[0], m[1], m[2]);
  state_.ada_smoothing = ada_->smoothing();
  augment_p_.fill_(state_.augment_p);
}

torch::Tensor Trainer::generate(const torch::Tensor& z, const torch::Tensor& labels) {
  return forward_float32(device_, bf16_, [&] { return generator_->forward(z, labels); });
}

torch::Tensor Trainer::score(const torch::Tensor& images, const torch::Tensor& labels) {
  return forward_float32(device_, bf16_, [&] { return critic_->forward(images, labels); });
}

CriticOutput Trainer::score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) {
  return forward_float32(device_, bf16_, [&] { return critic_->score_and_classify(images, labels); });
}

void Trainer::read_pending(StepStats& stats) {
  // One host read for all the steps since the last one. A NaN or Inf anywhere survives the sums
  // (the gradient slots hold 0 * |grad|^2, which is 0 unless the gradient was not finite).
  auto v = pending_.to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true);  // a copy even on the CPU
  pending_.zero_();
  const double* x = v.data_ptr<double>();
  const std::pair<PendingSlot, const char*> terms[] = {{kCriticLoss, "critic loss"},
                                                       {kPenalty, "gradient penalty"},
                                                       {kCriticGradientCheck, "critic gradient"},
                                                       {kGeneratorLoss, "generator loss"},
                                                       {kGeneratorGradientCheck, "generator gradient"}};
  for (const auto& [slot, term] : terms) {
    if (std::isfinite(x[slot])) continue;
    diverged("between steps " + std::to_string(pending_first_step_) + " and " + std::to_string(state_.step), term,
             x[slot], " (checked every " + std::to_string(check_every_) + " steps; --check-every 1 checks each step)");
  }
  const double critic_steps = static_cast<double>(*config_.n_critic);
  stats.critic_loss = x[kCriticLoss] / critic_steps;
  stats.penalty = x[kPenalty] / critic_steps;
  stats.wasserstein = x[kWasserstein] / critic_steps;
  stats.generator_loss = x[kGeneratorLoss];
  stats.count = pending_steps_;
  pending_steps_ = 0;
}

void Trainer::critic_update(const RealBatch& real, bool eager, StepStats& stats) {
  // Real, fake and the penalty's interpolates share the real batch's classes; the joint pass scores
  // real and fake in one call over both. With a class head, the loss's first call (every loss
  // scores the real images first, alone or ahead of the fake ones) also yields the real images'
  // class logits, so the head costs no pass of its own.
  const auto& labels = real.labels;
  torch::Tensor real_class_logits;
  const auto critic_fn = [this, &labels, &real_class_logits](const torch::Tensor& x) {
    const auto x_labels =
        labels.defined() && x.size(0) == 2 * labels.size(0) ? torch::cat({labels, labels}) : labels;
    if (class_loss_weight_ == 0 || real_class_logits.defined()) return score(x, x_labels);
    auto out = score_and_classify(x, x_labels);
    real_class_logits = out.class_logits.narrow(0, 0, labels.size(0));
    return out.score;
  };
  const auto float_opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  torch::Tensor fake;
  {
    // The generator runs without autograd here: its graph would be thrown away.
    torch::NoGradGuard no_grad;
    fake = generate(my_share(torch::randn({config_.batch, config_.model.latent_dim}, float_opts)), labels);
  }
  timer_.lap("2 generator forward for the critic (no autograd)");
  // Lazy penalty (--gp-every k): every k-th critic step carries k times the penalty.
  const bool penalty_step = state_.real_batches % config_.gp_every == 0;
  loss_options_.gp_lambda = penalty_step ? config_.gp_lambda * static_cast<double>(config_.gp_every) : 0.0;
  // Distributed: the interpolation weights too are one draw for the whole batch, then sliced.
  if (group_ && group_->world_size() > 1 && loss_.gradient_penalty && loss_options_.gp_lambda > 0)
    loss_options_.alpha = my_share(torch::rand({config_.batch}, float_opts));
  // Real and generated images both go through --augment; the penalty's interpolates are made of the
  // augmented pair (the loss builds them from what it is given).
  auto terms = loss_.critic(critic_fn, see(real.images), see(fake), loss_options_);
  if (real_class_logits.defined())
    terms.loss = terms.loss + class_loss_weight_ * torch::nn::functional::cross_entropy(real_class_logits, labels);
  timer_.lap("3 critic forward: real, fake, penalty gradient");
  critic_opt_->zero_grad();
  terms.loss.backward();
  if (group_) average_gradients(*group_, critic_->parameters());
  timer_.lap("4 critic backward (incl. through the penalty)");
  torch::Tensor row;
  {
    torch::NoGradGuard no_grad;
    row = torch::stack({terms.loss, terms.penalty, terms.real_score - terms.fake_score, squared_grad_norm(*critic_)})
              .to(torch::kFloat64);
  }
  if (eager) {
    auto v = row.to(torch::kCPU);
    const double* x = v.data_ptr<double>();
    check_finite(x[kCriticLoss] - x[kPenalty], "critic loss (real/fake term)");
    check_finite(x[kPenalty], "gradient penalty");
    check_finite(x[kCriticGradientCheck], "critic gradient");
    stats.critic_loss += x[kCriticLoss] / static_cast<double>(*config_.n_critic);
    stats.penalty += x[kPenalty] / static_cast<double>(*config_.n_critic);
    stats.wasserstein += x[kWasserstein] / static_cast<double>(*config_.n_critic);
  } else {
    torch::NoGradGuard no_grad;
    row.narrow(0, kCriticGradientCheck, 1).mul_(0);
    pending_.narrow(0, kCriticLoss, 4).add_(row);
  }
  critic_opt_->step();
  loss_.after_critic_step(critic_->parameters(), loss_options_);
  timer_.lap("5 critic checks, optimizer, clipping");
}

void Trainer::generator_update(bool eager, StepStats& stats) {
  const auto float_opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  // The critic's weights are frozen so their gradients are not computed.
  set_requires_grad(*critic_, false);
  // Through the same transforms as the critic step, so the generator is not asked to make them.
  auto z = my_share(torch::randn({config_.batch, config_.model.latent_dim}, float_opts));
  const auto labels = random_labels();
  const auto seen = see(generate(z, labels));
  torch::Tensor g_loss;
  if (class_loss_weight_ > 0) {
    // The class head's verdict on the generated images, at a tenth of the critic's weight (the
    // WGAN-GP paper's conditional model weighs the two sides so).
    auto out = score_and_classify(seen, labels);
    g_loss = loss_.generator(out.score) +
             0.1 * class_loss_weight_ * torch::nn::functional::cross_entropy(out.class_logits, labels);
  } else {
    g_loss = loss_.generator(score(seen, labels));
  }
  generator_opt_->zero_grad();
  g_loss.backward();
  if (group_) average_gradients(*group_, generator_->parameters());
  set_requires_grad(*critic_, true);
  torch::Tensor g_row;
  {
    torch::NoGradGuard no_grad;
    g_row = torch::stack({g_loss, squared_grad_norm(*generator_)}).to(torch::kFloat64);
  }
  if (eager) {
    auto v = g_row.to(torch::kCPU);
    const double* x = v.data_ptr<double>();
    check_finite(x[0], "generator loss");
    check_finite(x[1], "generator gradient");
    stats.generator_loss = x[0];
    stats.count = 1;
  } else {
    torch::NoGradGuard no_grad;
    g_row.narrow(0, 1, 1).mul_(0);
    pending_.narrow(0, kGeneratorLoss, 2).add_(g_row);
  }
  generator_opt_->step();
  timer_.lap("6 generator step (forward, backward, optimizer)");
}

StepStats Trainer::train_step() {
  // Eager: read and check every step before the optimizer touches the weights (free on the CPU).
  // Deferred: sum on the device and read every check_every steps, so the GPU never waits.
  const bool eager = check_every_ == 1;
  if (!eager && pending_steps_ == 0) pending_first_step_ = state_.step + 1;
  StepStats stats;
  const bool measure_overfitting = ada_ && (state_.step + 1) % AdaptiveAugment::kInterval == 0;
  if (step_graph_ && graph_warmup_left_ == 0) {
    graph_step();
    if (measure_overfitting) adapt_augment_p();
  } else {
    if (step_graph_) --graph_warmup_left_;
    timer_.start();
    if (config_.lr_decay != "none") {
      const double lr = scheduled_learning_rate(config_.lr_decay, *config_.lr, state_.step, config_.total_steps);
      set_learning_rate(*critic_opt_, lr);
      set_learning_rate(*generator_opt_, lr);
    }
    for (int64_t i = 0; i < *config_.n_critic; ++i) {
      auto real = next_real_batch();
      timer_.lap("1 data");
      critic_update(real, eager, stats);
      ++state_.real_batches;
    }
    generator_update(eager, stats);
    // --augment-p ada: before the BatchNorm statistics are made equal across ranks below, since the
    // measurement's generator pass moves them.
    if (measure_overfitting) adapt_augment_p();
    // Without --sync-bn each rank's BatchNorm statistics follow its shard; rank 0's are the model's.
    if (group_) {
      broadcast_buffers(*group_, *generator_);
      broadcast_buffers(*group_, *critic_);
    }
    state_.g_images += config_.batch;
    update_ema();
    timer_.lap("7 EMA update");
  }
  ++state_.step;
  if (!eager) {
    ++pending_steps_;
    if (state_.step % check_every_ == 0 || state_.step % config_.log_every == 0 || state_.step >= config_.total_steps)
      read_pending(stats);
  }
  return stats;
}

double Trainer::ema_beta() const {
  // Half-life in images, ramped up early so the average does not drag in the random start.
  double half_life = config_.ema_kimg * 1000.0;
  if (config_.ema_rampup > 0)
    half_life = std::min(half_life, static_cast<double>(state_.g_images) * config_.ema_rampup);
  return std::pow(0.5, static_cast<double>(config_.batch) / std::max(half_life, 1e-8));
}

void Trainer::graph_step() {
  // The inputs the captured iteration reads: this iteration's batch rows and flips, and the EMA's
  // weight, written into the same device tensors before every replay.
  const int64_t n = *config_.n_critic;
  std::vector<torch::Tensor> indices, flips;
  for (int64_t i = 0; i < n; ++i) {
    auto plan = batcher_.plan(state_.real_batches + i);
    indices.push_back(plan.indices);
    if (plan.flip.defined()) flips.push_back(plan.flip);
  }
  if (!graph_indices_.defined()) {
    graph_indices_ = torch::empty({n, config_.batch}, torch::TensorOptions().dtype(torch::kInt64).device(device_));
    if (!flips.empty())
      graph_flips_ = torch::empty({n, config_.batch}, torch::TensorOptions().dtype(torch::kBool).device(device_));
    graph_ema_weight_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
  }
  graph_indices_.copy_(torch::stack(indices).pin_memory(), /*non_blocking=*/true);
  if (graph_flips_.defined()) graph_flips_.copy_(torch::stack(flips).pin_memory(), /*non_blocking=*/true);
  state_.g_images += config_.batch;  // the EMA's ramp counts this iteration, as update_ema does
  graph_ema_weight_.fill_(1.0 - ema_beta());
  if (!step_graph_->captured()) {
    // Optimizer step counts move to the device so that every replay advances them itself.
    for (auto* opt : {critic_opt_.get(), generator_opt_.get()}) static_cast<ForeachAdam*>(opt)->use_device_steps();
    step_graph_->capture([this, n] {
      StepStats unused;
      for (int64_t i = 0; i < n; ++i) {
        RealBatch real;
        real.images = device_batches_->gather(graph_indices_[i],
                                              graph_flips_.defined() ? graph_flips_[i] : torch::Tensor(), channels_last_);
        if (device_labels_.defined()) real.labels = device_labels_.index_select(0, graph_indices_[i]);
        critic_update(real, /*eager=*/false, unused);
      }
      generator_update(/*eager=*/false, unused);
      if (generator_ema_) update_moving_average(*generator_ema_, *generator_, graph_ema_weight_);
    });
  }
  step_graph_->replay();
  static_cast<ForeachAdam*>(critic_opt_.get())->advance_host_steps(n);
  static_cast<ForeachAdam*>(generator_opt_.get())->advance_host_steps(1);
  state_.real_batches += n;
}

void Trainer::update_ema() {
  if (!generator_ema_) return;
  update_moving_average(*generator_ema_, *generator_, ema_beta());
}

std::string Trainer::save_samples() {
  const std::string dir = (fs::path(config_.run_dir) / "samples").string();
  ensure_writable_dir(dir);
  char name[32];
  std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(state_.step));
  const std::string path = (fs::path(dir) / name).string();
  auto& net = sampling_generator();
  const bool was_training = net.is_training();
  net.eval();
  torch::Tensor images;
  GridOptions grid;
  grid.nrow = config_.grid_nrow;
  {
    torch::NoGradGuard no_grad;
    if (config_.model.conditional()) {
      // One row per class, the same z in each column.
      const int64_t columns = std::min(config_.grid_nrow, fixed_z_.size(0)), classes = config_.model.classes();
      auto labels = torch::arange(classes, fixed_z_.options().dtype(torch::kInt64)).repeat_interleave(columns);
      images = net.forward(fixed_z_.narrow(0, 0, columns).repeat({classes, 1}), labels);
      grid.nrow = columns;
    } else {
      images = net.forward(fixed_z_);
    }
  }
  net.train(was_training);
  write_png(path, make_grid(images, grid));
  return path;
}

std::string Trainer::save_checkpoint() {
  if (group_ && group_->world_size() > 1) {
    // Every rank must hold the same weights; a silent divergence would make the checkpoint a lie.
    double worst = 0;
    for (auto* net :
         {static_cast<torch::nn::Module*>(generator_.get()), static_cast<torch::nn::Module*>(critic_.get())})
      worst = std::max(worst, max_rank_difference(*group_, *net));
    if (worst != 0.0)
      throw std::runtime_error("rank " + std::to_string(group_->rank()) + ": the ranks' weights differ by up to " +
                               c10::str(worst) + " at step " + std::to_string(state_.step) +
                               "; refusing to checkpoint (was a rank started with other flags?)");
    if (!is_main()) {
      last_checkpoint_step_ = state_.step;
      last_checkpoint_time_ = std::chrono::steady_clock::now();
      return "";
    }
  }
  // A checkpoint is only written from finite weights: never replace a good one with a bad one.
  for (auto* net :
       {static_cast<torch::nn::Module*>(generator_.get()), static_cast<torch::nn::Module*>(critic_.get())}) {
    for (const auto& p : net->parameters()) {
      if (!torch::isfinite(p).all().item<bool>()) {
        throw TrainingDiverged("refusing to checkpoint non-finite weights at step " + std::to_string(state_.step));
      }
    }
  }
  ensure_writable_dir((fs::path(config_.run_dir) / "checkpoints").string());
  const std::string path = checkpoint_path(config_.run_dir, state_.step);
  CheckpointParts parts;
  parts.config = &config_;
  parts.state = &state_;
  parts.generator = generator_.get();
  parts.critic = critic_.get();
  parts.generator_ema = generator_ema_.get();
  parts.generator_opt = generator_opt_.get();
  parts.critic_opt = critic_opt_.get();
  parts.fixed_z = fixed_z_;
  wgan::save_checkpoint(path, parts);
  last_checkpoint_ = path;
  last_checkpoint_step_ = state_.step;
  last_checkpoint_time_ = std::chrono::steady_clock::now();
  prune_checkpoints(config_.run_dir, config_.keep_checkpoints);
  return path;
}

nlohmann::json Trainer::evaluate_quality() {
  if (metrics_.empty()) {
    MetricContext context;
    context.data = config_.data;
    context.data_dir = config_.data_dir;
    context.classifier = config_.classifier;
    context.inception = config_.inception;
    context.device = device_;
    context.seed = config_.seed;
    context.train_images = &dataset_;
    metrics_ = make_metrics(config_.metrics, context);
  }
  const auto started = std::chrono::steady_clock::now();
  auto figures = evaluate_metrics(metrics_, sampling_generator(), config_.model, config_.metrics_num, config_.seed,
                                  device_);
  nlohmann::json line = {
      {"step", state_.step},
      {"kimg", kimg()},
      {"time_s", state_.train_seconds},
      {"metrics_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()},
  };
  line.update(figures);
  ensure_writable_dir(config_.run_dir);
  append_line((fs::path(config_.run_dir) / "metrics.jsonl").string(), line.dump());
  return line;
}

void Trainer::write_metrics(const StepStats& s, double images_per_second) {
  nlohmann::json line = {
      {"step", state_.step},
      {"kimg", kimg()},
      {"time_s", state_.train_seconds},
      {"images_per_s", images_per_second},
      {"critic_loss", s.critic_loss},
      {"wasserstein", s.wasserstein},
      {"penalty", s.penalty},
      {"generator_loss", s.generator_loss},
  };
  if (!augment_kinds_.empty()) line["augment_p"] = state_.augment_p;
  if (ada_) line["ada_signal"] = ada_->signal();
  append_line((fs::path(config_.run_dir) / "metrics.jsonl").string(), line.dump());
}

double Trainer::kimg() const { return static_cast<double>(state_.real_batches * config_.batch) / 1000.0; }

double Trainer::window_rate(std::chrono::steady_clock::time_point now) const {
  const double seconds = std::chrono::duration<double>(now - rate_window_start_).count();
  return seconds > 0 ? static_cast<double>((state_.real_batches - rate_window_batches_) * config_.batch) / seconds : 0;
}

std::string Trainer::progress_suffix() const {
  // Right after a log line the window is empty: show that line's rate until a step lands.
  const double rate =
      state_.real_batches > rate_window_batches_ ? window_rate(std::chrono::steady_clock::now()) : last_rate_;
  char text[240];
  int n = std::snprintf(text, sizeof text, "kimg %.1f | %.0f img/s", kimg(), rate);
  if (!augment_kinds_.empty())
    n += std::snprintf(text + n, sizeof text - static_cast<size_t>(n), " | augment p %.3f", state_.augment_p);
  if (shown_losses_step_ >= 0)
    std::snprintf(text + n, sizeof text - static_cast<size_t>(n), " | at step %lld: D %.3f W %.3f GP %.3f G %.3f",
                  static_cast<long long>(shown_losses_step_), shown_losses_.critic_loss, shown_losses_.wasserstein,
                  shown_losses_.penalty, shown_losses_.generator_loss);
  return text;
}

void Trainer::save_samples_and_report() {
  save_samples();
  write_report(config_.run_dir);  // the page shows what the run has written so far
}

void Trainer::save_final_samples() {
  if (!is_main()) return;
  try {
    save_samples_and_report();
  } catch (const std::exception& e) {
    // The checkpoint is already written; a grid that cannot be written loses nothing else.
    if (!quiet_) std::cerr << "warning: the final sample grid or report could not be written: " << e.what() << "\n";
  }
}

std::string Trainer::resume_hint() const {
  std::string hint = "; training stopped at step " + std::to_string(state_.step) + ". ";
  hint += last_checkpoint_.empty() ? "No checkpoint was written yet"
                                   : "The newest good checkpoint is " + last_checkpoint_ +
                                         "; once the cause is fixed (free space, permissions), continue with: wgan train --resume " + config_.run_dir;
  return hint;
}

void Trainer::stop_on_write_failure(const UserError& failure, bool checkpoint_first) {
  if (!quiet_ && progress_bar_) std::cerr << "\n";  // off the progress bar's line
  if (checkpoint_first && !(group_ && group_->world_size() > 1)) {
    // The weights matter more than a picture or a log line: keep them if the disk lets us.
    try {
      save_checkpoint();
    } catch (const std::exception& e) {
      if (!quiet_) std::cerr << "\nwarning: the checkpoint could not be written either: " << e.what() << "\n";
    }
  }
  throw UserError(failure.what() + resume_hint());
}

void Trainer::drop_metrics_after_resume() {
  // Lines a killed run logged after its last checkpoint are logged again by this run: keep one copy.
  const auto path = (fs::path(config_.run_dir) / "metrics.jsonl").string();
  if (state_.step == 0 || !fs::exists(path)) return;
  std::istringstream lines(read_file(path));
  std::string kept;
  bool dropped = false;
  for (std::string line; std::getline(lines, line);) {
    // A torn last line (killed mid-write) does not parse: it goes too.
    const auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const bool later = parsed.is_object() && parsed.contains("step") && parsed["step"].is_number_integer() &&
                       parsed["step"].get<int64_t>() > state_.step;
    if (later || parsed.is_discarded()) {
      dropped = true;
      continue;
    }
    kept += line + "\n";
  }
  if (dropped) write_file_atomic(path, kept);
}

bool Trainer::checkpoint_clock_due() const {
  if (config_.checkpoint_minutes <= 0) return false;
  const std::chrono::duration<double, std::ratio<60>> since = std::chrono::steady_clock::now() - last_checkpoint_time_;
  return since.count() >= config_.checkpoint_minutes;
}

std::optional<nlohmann::json> Trainer::evaluate_quality_unless_stopped(const StopRequest* stop) {
  AbandonOnStop scope(stop);
  try {
    return evaluate_quality();
  } catch (const WorkAbandoned&) {
    if (!quiet_) std::cerr << "\nthe quality evaluation at step " << state_.step << " was abandoned for the stop\n";
    return std::nullopt;
  }
}

Trainer::Outcome Trainer::stop_on_request(const StopRequest& stop) {
  std::string path = last_checkpoint_, cost;
  if (last_checkpoint_step_ != state_.step) {
    const auto started = std::chrono::steady_clock::now();
    try {
      path = save_checkpoint();
    } catch (const UserError& e) {
      if (!quiet_) std::cerr << "\nerror: " << e.what() << resume_hint() << "\n";
      return Outcome::kInterruptedUnsaved;
    }
    // What a checkpoint costs, for choosing --checkpoint-minutes.
    std::error_code ec;
    char text[80];
    std::snprintf(text, sizeof text, " (%.1f MB in %.2f s)", static_cast<double>(fs::file_size(path, ec)) / 1e6,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (!path.empty()) cost = text;
  }
  if (stop.level() < StopRequest::kStopNow) {
    save_final_samples();
  } else if (!quiet_) {
    std::cerr << "the final grid and report were skipped (second Ctrl-C); wgan report " << config_.run_dir
              << " rebuilds the report\n";
  }
  if (!quiet_) std::cerr << "interrupted at step " << state_.step << ": checkpoint written to " << path << cost << "\n";
  return Outcome::kInterrupted;
}

Trainer::Outcome Trainer::run(const StopRequest* stop) {
  // ---- The run directory: its config, leftovers of crashed writers gone, the log up to this step.
  if (is_main()) {
    try {
      ensure_writable_dir(config_.run_dir);
      remove_stale_temp_files_and_say(config_.run_dir, quiet_);
      write_file_atomic((fs::path(config_.run_dir) / "config.json").string(), to_json(config_).dump(2) + "\n");
      drop_metrics_after_resume();
    } catch (const UserError& e) {
      stop_on_write_failure(e, /*checkpoint_first=*/false);
    }
  }
  if (state_.step >= config_.total_steps) return Outcome::kFinished;
  // Every file written during the run: a failure stops it with the newest checkpoint named.
  auto checkpoint = [this] {
    try {
      return save_checkpoint();
    } catch (const UserError& e) {
      stop_on_write_failure(e, /*checkpoint_first=*/false);
    }
  };
  auto write_or_stop = [this](const std::function<void()>& write) {
    try {
      write();
    } catch (const UserError& e) {
      stop_on_write_failure(e, /*checkpoint_first=*/true);
    }
  };

  const bool show_bar = !quiet_ && progress_bar_;
  ProgressBar progress("train", config_.total_steps, state_.step);
  StepStats window;
  rate_window_start_ = std::chrono::steady_clock::now();
  rate_window_batches_ = state_.real_batches;
  last_checkpoint_time_ = rate_window_start_;

  while (state_.step < config_.total_steps) {
    // ---- A stop signal: checkpoint, grid and report, then return. Or a checkpoint by the clock.
    // The ranks agree on both in one collective, so they stop and save at the same step.
    std::vector<bool> due = {stop && stop->raised(), checkpoint_clock_due()};
    if (group_) due = any_rank(*group_, due);
    if (due[0]) {
      if (show_bar) progress.finish();
      static const StopRequest another_rank_asked;  // this rank had no request of its own
      return stop_on_request(stop ? *stop : another_rank_asked);
    }
    if (due[1]) checkpoint();
    // ---- One generator step with its critic steps.
    const auto step_start = std::chrono::steady_clock::now();
    window.add(train_step());
    state_.train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();

    // ---- A metrics line every --log-every steps.
    const bool last = state_.step == config_.total_steps;
    if (state_.step % config_.log_every == 0 || last) {
      const auto now = std::chrono::steady_clock::now();
      last_rate_ = window_rate(now);
      const StepStats mean = window.mean();
      if (is_main()) write_or_stop([&] { write_metrics(mean, last_rate_); });
      if (mean.count > 0) {
        shown_losses_ = mean;
        shown_losses_step_ = state_.step;
      }
      window = StepStats();
      rate_window_start_ = now;
      rate_window_batches_ = state_.real_batches;
    }
    // ---- Quality metrics every --metrics-every kimg (abandoned for a stop signal: it can take minutes).
    if (!config_.metrics.empty() && is_main()) {
      // In whole images, so that a boundary is crossed exactly once whatever the rounding of kimg.
      const int64_t images = state_.real_batches * config_.batch;
      const int64_t previous = images - config_.batch * *config_.n_critic;
      const auto every = static_cast<int64_t>(std::llround(config_.metrics_every_kimg * 1000.0));
      if (last || (every > 0 && images / every > previous / every)) {
        std::optional<nlohmann::json> line;
        write_or_stop([&] { line = evaluate_quality_unless_stopped(stop); });
        if (line && !quiet_) {
          if (show_bar) progress.finish();
          std::cerr << "quality at kimg " << (*line)["kimg"].get<double>() << ": " << line->dump() << "\n";
        }
      }
    }
    // ---- Grid, report and checkpoint at their intervals (and at the end).
    if ((state_.step % config_.sample_every == 0 || last) && is_main()) write_or_stop([&] { save_samples_and_report(); });
    if (state_.step % config_.checkpoint_every == 0 || last) checkpoint();
    if (show_bar) progress.update(state_.step, progress_suffix(), last);
  }
  if (show_bar) progress.finish();
  return Outcome::kFinished;
}

}  // namespace wgan
