#include "wgan/train/trainer.h"

#include <cmath>
#include <iostream>

#include "wgan/optim/foreach_adam.h"
#include "wgan/optim/moving_average.h"
#include "wgan/models/precision.h"
#include "wgan/generate/class_labels.h"
#include "wgan/generate/latent.h"
#include "wgan/util/device.h"

namespace wgan {

namespace {

void set_requires_grad(torch::nn::Module& module, bool on) {
  for (auto& p : module.parameters()) p.requires_grad_(on);
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
      stats_(device_),
      batcher_(dataset, config_.batch, config_.seed, config_.xflip),
      prefetcher_([this](int64_t index) { return host_batch(index); }) {
  // ---- How the step runs: precision (auto becomes what was chosen, so config.json and checkpoints
  // record it), memory layout, host reads.
  std::string precision_notice;
  config_.precision = resolve_precision(config_.precision, device_, &precision_notice);
  if (!precision_notice.empty() && !quiet_) std::cerr << precision_notice << "\n";
  channels_last_ = config_.channels_last;
  check_every_ = effective_check_every(config_, device_);
  if (device_.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);  // fixed shapes: let cuDNN pick its fastest
  if (device_.is_cuda()) timer_.set_sync([] { torch::cuda::synchronize(); });  // per-phase times mean GPU time too

  // ---- Networks, the moving average and the fixed z, from --seed.
  torch::manual_seed(config_.seed);
  networks_.generator = make_generator(config_.model);
  networks_.critic = make_critic(config_.model);
  if (config_.ema_kimg > 0) {
    generator_ema_ = make_generator(config_.model);
    copy_module_state(*networks_.generator, *generator_ema_);
    generator_ema_->eval();
    set_requires_grad(*generator_ema_, false);
  }
  // The fixed z comes from its own seed so it does not depend on the device.
  fixed_z_ = draw_z(config_.sample_count, config_.model.latent_dim, config_.seed + 7919);

  // ---- Onto the device, with the data there too when it fits (--gpu-data).
  for (torch::nn::Module* net : {static_cast<torch::nn::Module*>(networks_.generator.get()),
                                 static_cast<torch::nn::Module*>(networks_.critic.get()),
                                 static_cast<torch::nn::Module*>(generator_ema_.get())}) {
    if (net) place_on_device(*net);
  }
  if (device_.is_cuda() && (config_.gpu_data == GpuData::kOn || (config_.gpu_data == GpuData::kAuto && DeviceBatches::fits(dataset))))
    device_batches_ = std::make_unique<DeviceBatches>(dataset, device_);
  if (config_.model.conditional() && !dataset.has_labels())
    throw UserError("a conditional model needs the dataset's labels (--cond)");
  if (config_.model.conditional() && device_batches_) device_labels_ = dataset.labels.to(device_);
  if (config_.cuda_graph) step_graph_ = std::make_unique<StepGraph>();
  fixed_z_ = fixed_z_.to(device_);

  // ---- Optimizers, as the loss trains.
  const auto optimizer = loss_.optimizer;
  networks_.generator_opt =
      make_optimizer(optimizer, networks_.generator->parameters(), *config_.lr, *config_.beta1, *config_.beta2);
  networks_.critic_opt =
      make_optimizer(optimizer, networks_.critic->parameters(), *config_.lr, *config_.beta1, *config_.beta2);

  // ---- The step: the loss's options, the class term, precision; what the critic sees (--augment).
  StepOptions step;
  step.n_critic = *config_.n_critic;
  step.batch = config_.batch;
  step.latent_dim = config_.model.latent_dim;
  step.gp_lambda = config_.gp_lambda;
  step.drift = config_.drift;
  step.gp_every = config_.gp_every;
  step.clip = config_.clip;
  // Per-sample critics only: batch statistics would mix the real and the fake images.
  step.joint_pass = config_.model.critic_norm != CriticNorm::kBatch && !config_.model.minibatch_stddev;
  step.class_loss_weight = config_.model.conditional() && config_.model.class_head ? config_.class_loss : 0.0;
  step.bf16 = wants_bf16(config_.precision);
  step.device = device_;
  step_options_ = step;
  step_ = std::make_unique<TrainStep>(step, loss_, networks_, stats_);
  step_->set_timer(&timer_);
  if (config_.model.conditional()) step_->set_class_cdf(class_cdf(config_.model).to(torch::kFloat32).to(device_));
  if (config_.augment_ada) {
    if (!setup.held_out || setup.held_out->size() == 0)
      throw UserError("--augment-p ada needs held-out real images (load_training_data's held_out)");
    held_out_ = setup.held_out;
    ada_ = std::make_unique<AdaptiveAugment>(config_.ada_target, config_.ada_kimg,
                                             AdaptiveAugment::kInterval * *config_.n_critic * config_.batch);
  }

  // ---- From a checkpoint, then across the ranks (rank 0's weights win).
  if (!setup.resume_from.empty()) resume(setup.resume_from);
  if (setup.group) join_group(std::move(setup.group));
  if (state_.augment_p < 0) state_.augment_p = config_.augment_p;  // a new run, or a checkpoint without it
  if (ada_) ada_->restore(state_.ada_smoothing);
  augment_p_ = torch::full({}, state_.augment_p, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
  step_->set_augment(parse_augment_list(config_.augment), augment_p_);
  if (config_.minutes && config_.model.grow_from > 0 && !config_.grow_kimg) plan_growth_for_budget();
  follow_growth();  // --grow: the phase of the first step (a resumed run's)
}

void Trainer::place_on_device(torch::nn::Module& net) const {
  net.to(device_);
  if (channels_last_) to_channels_last(net);
}

void Trainer::resume(const std::string& checkpoint_file) {
  CheckpointReader reader(checkpoint_file, device_);
  const auto& saved = reader.config().model;
  const auto& ours = config_.model;
  if (saved.arch != ours.arch || saved.resolution != ours.resolution || saved.channels != ours.channels ||
      saved.latent_dim != ours.latent_dim || saved.width != ours.width || saved.critic_norm != ours.critic_norm ||
      saved.class_names != ours.class_names || saved.class_head != ours.class_head || saved.grow_from != ours.grow_from ||
      saved.generator_norm != ours.generator_norm || saved.minibatch_stddev != ours.minibatch_stddev ||
      reader.config().loss != config_.loss) {
    throw UserError("checkpoint " + checkpoint_file + " was trained with other networks or another loss");
  }
  reader.load_module("G", *networks_.generator);
  reader.load_module("D", *networks_.critic);
  if (generator_ema_) reader.load_module(reader.has("G_ema") ? "G_ema" : "G", *generator_ema_);
  reader.load_optimizer("opt_G", *networks_.generator_opt);
  reader.load_optimizer("opt_D", *networks_.critic_opt);
  fixed_z_ = reader.tensor("fixed_z").to(device_);
  reader.restore_rng();
  state_ = reader.state();
  last_checkpoint_ = checkpoint_file;
}

void Trainer::join_group(std::shared_ptr<ProcessGroup> group) {
  group_ = std::move(group);
  if (group_->world_size() == 1) return;
  step_->set_group(group_);
  batcher_.set_shard(group_->rank(), group_->world_size());
  broadcast_module(*group_, *networks_.generator);
  broadcast_module(*group_, *networks_.critic);
  if (generator_ema_) broadcast_module(*group_, *generator_ema_);
  if (!is_main()) quiet_ = true;
}

RealBatch Trainer::next_real_batch() {
  RealBatch real;
  const bool conditional = config_.model.conditional();
  if (device_batches_) {
    const auto plan = batcher_.plan(state_.real_batches);
    real.images = fade_real(device_batches_->batch(plan, channels_last_));
    if (conditional) real.labels = device_labels_.index_select(0, plan.indices.to(device_, /*non_blocking=*/true));
  } else {
    auto host = prefetcher_.get(state_.real_batches);
    // From pinned memory the copy does not make the host wait for the GPU's queue.
    const bool cuda = device_.is_cuda();
    real.images = to_signed_unit(cuda ? host.images.pin_memory().to(device_, /*non_blocking=*/true)
                                      : host.images.to(device_));
    real.images = fade_real(real.images);
    if (channels_last_) real.images = real.images.contiguous(torch::MemoryFormat::ChannelsLast);
    if (conditional) real.labels = host.labels.to(device_);
  }
  return real;
}

RealBatch Trainer::random_real_batch(const ImageDataset& data) {
  auto rows = step_->my_share(torch::randint(data.size(), {config_.batch}, torch::kInt64));
  RealBatch batch;
  batch.images = at_phase_side(to_signed_unit(gather_batch(data.images, rows, {}).contiguous()).to(device_));
  if (channels_last_) batch.images = batch.images.contiguous(torch::MemoryFormat::ChannelsLast);
  if (config_.model.conditional()) batch.labels = data.labels.index_select(0, rows).to(device_);
  return batch;
}

void Trainer::adapt_augment_p() {
  torch::NoGradGuard no_grad;
  const auto train = random_real_batch(dataset_), held_out = random_real_batch(*held_out_);
  const auto labels = step_->random_labels();
  const auto z = step_->random_z();
  auto& s = *step_;
  auto means = torch::stack({s.score(s.see(train.images), train.labels).mean(),
                             s.score(s.see(held_out.images), held_out.labels).mean(),
                             s.score(s.see(s.generate(z, labels)), labels).mean()})
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

void Trainer::diverged(const std::string& when, const NonFiniteStat& stat, const std::string& detail) const {
  std::string message = "training diverged " + when + ": " + stat.name + " is " +
                        (std::isnan(stat.value) ? "NaN" : "Inf") + detail;
  message += last_checkpoint_.empty() ? "; no checkpoint was written yet"
                                      : "; the last good checkpoint is " + last_checkpoint_ +
                                            " (wgan train --resume " + config_.run_dir + " continues from it)";
  throw TrainingDiverged(message);
}

void Trainer::read_stats() {
  // One host read for all the steps since the last one.
  if (auto bad = stats_.read())
    diverged("between steps " + std::to_string(unread_first_step_) + " and " + std::to_string(state_.step), *bad,
             " (checked every " + std::to_string(check_every_) + " steps; --check-every 1 checks each step)");
}

StatsWindow Trainer::train_step() {
  // Eager: read and check every step before the optimizer touches the weights (free on the CPU).
  // Deferred: sum on the device and read every check_every steps, so the GPU never waits.
  const bool eager = check_every_ == 1;
  follow_growth();
  if (!stats_.unread()) unread_first_step_ = state_.step + 1;
  const bool measure_overfitting = ada_ && (state_.step + 1) % AdaptiveAugment::kInterval == 0;
  if (step_graph_ && graph_warmup_left_ == 0) {
    graph_iteration();
    if (measure_overfitting) adapt_augment_p();
  } else {
    if (step_graph_) --graph_warmup_left_;
    try {
      eager_iteration(eager);
    } catch (const NonFiniteStatError& e) {
      diverged("at step " + std::to_string(state_.step + 1), e.stat, "; nothing was saved from this step");
    }
    // --augment-p ada: before the BatchNorm statistics are made equal across ranks below, since the
    // measurement's generator pass moves them.
    if (measure_overfitting) adapt_augment_p();
    // Without --sync-bn each rank's BatchNorm statistics follow its shard; rank 0's are the model's.
    if (group_) {
      broadcast_buffers(*group_, *networks_.generator);
      broadcast_buffers(*group_, *networks_.critic);
    }
    update_ema();
    timer_.lap("7 EMA update");
  }
  ++state_.step;
  stats_.end_step();
  if (eager || state_.step % check_every_ == 0 || state_.step % config_.log_every == 0 ||
      state_.step >= config_.total_steps)
    read_stats();
  return stats_.take_window();
}

void Trainer::eager_iteration(bool check) {
  timer_.start();
  if (config_.lr_decay != LrDecay::kNone) {
    const double lr = scheduled_learning_rate(config_.lr_decay, *config_.lr, state_.step, config_.total_steps);
    set_learning_rate(*networks_.critic_opt, lr);
    set_learning_rate(*networks_.generator_opt, lr);
  }
  const auto real_batch = [this](int64_t) {
    auto real = next_real_batch();
    ++state_.real_batches;
    return real;
  };
  step_->run(real_batch, state_.real_batches, check);
  state_.g_images += config_.batch;
}

double Trainer::ema_beta() const {
  // Half-life in images, ramped up early so the average does not drag in the random start.
  double half_life = config_.ema_kimg * 1000.0;
  if (config_.ema_rampup > 0)
    half_life = std::min(half_life, static_cast<double>(state_.g_images) * config_.ema_rampup);
  return std::pow(0.5, static_cast<double>(config_.batch) / std::max(half_life, 1e-8));
}

void Trainer::update_ema() {
  if (generator_ema_) update_moving_average(*generator_ema_, *networks_.generator, ema_beta());
}

void Trainer::graph_iteration() {
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
    for (auto* opt : {networks_.critic_opt.get(), networks_.generator_opt.get()})
      static_cast<ForeachAdam*>(opt)->use_device_steps();
    step_graph_->capture([this] {
      const auto real_batch = [this](int64_t i) {
        RealBatch real;
        real.images = device_batches_->gather(graph_indices_[i],
                                              graph_flips_.defined() ? graph_flips_[i] : torch::Tensor(), channels_last_);
        if (device_labels_.defined()) real.labels = device_labels_.index_select(0, graph_indices_[i]);
        return real;
      };
      step_->run(real_batch, state_.real_batches, /*check=*/false);
      if (generator_ema_) update_moving_average(*generator_ema_, *networks_.generator, graph_ema_weight_);
    });
  }
  step_graph_->replay();
  static_cast<ForeachAdam*>(networks_.critic_opt.get())->advance_host_steps(n);
  static_cast<ForeachAdam*>(networks_.generator_opt.get())->advance_host_steps(1);
  state_.real_batches += n;
}

}  // namespace wgan
