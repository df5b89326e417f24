#include "wgan/train/train_step.h"

#include "wgan/models/precision.h"

namespace wgan {

namespace {

void set_requires_grad(torch::nn::Module& module, bool on) {
  for (auto& p : module.parameters()) p.requires_grad_(on);
}

// The norm of all the module's gradients as a 0-d tensor on the device (read with the statistics).
torch::Tensor gradient_norm(torch::nn::Module& module) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : module.parameters())
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return torch::zeros({}, module.parameters().front().options());
  return torch::stack(at::_foreach_norm(grads)).pow(2).sum().sqrt();
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

}  // namespace

TrainStep::TrainStep(StepOptions options, const Loss& loss, TrainedNetworks& networks, TrainingStats& stats)
    : options_(options), loss_(loss), networks_(networks), stats_(stats), local_batch_(options.batch),
      timer_(&unused_timer_) {
  loss_options_.gp_lambda = options_.gp_lambda;
  loss_options_.drift = options_.drift;
  loss_options_.clip = options_.clip;
  loss_options_.joint_pass = options_.joint_pass;
}

void TrainStep::set_group(std::shared_ptr<ProcessGroup> group) {
  group_ = std::move(group);
  local_batch_ = options_.batch / (group_ ? group_->world_size() : 1);
}

void TrainStep::set_augment(std::vector<AugmentKind> kinds, torch::Tensor p) {
  augment_kinds_ = std::move(kinds);
  augment_p_ = std::move(p);
}

void TrainStep::set_class_cdf(torch::Tensor cdf) { class_cdf_ = std::move(cdf); }

torch::Tensor TrainStep::my_share(const torch::Tensor& whole) const {
  if (!group_ || group_->world_size() == 1) return whole;
  return whole.narrow(0, group_->rank() * local_batch_, local_batch_);
}

torch::Tensor TrainStep::random_z() {
  return my_share(torch::randn({options_.batch, options_.latent_dim},
                               torch::TensorOptions().dtype(torch::kFloat32).device(options_.device)));
}

torch::Tensor TrainStep::random_labels() {
  if (!class_cdf_.defined()) return {};
  auto u = torch::rand({options_.batch}, class_cdf_.options());
  // The class whose cumulative share first exceeds u; the clamp guards the last entry's rounding.
  auto labels = torch::searchsorted(class_cdf_, u, /*out_int32=*/false, /*right=*/true).clamp_max_(class_cdf_.size(0) - 1);
  return my_share(labels);
}

torch::Tensor TrainStep::see(const torch::Tensor& images) {
  return augment_kinds_.empty() ? images : augment(images, augment_kinds_, augment_p_);
}

torch::Tensor TrainStep::generate(const torch::Tensor& z, const torch::Tensor& labels) {
  return forward_float32(options_.device, options_.bf16, [&] { return networks_.generator->forward(z, labels); });
}

torch::Tensor TrainStep::score(const torch::Tensor& images, const torch::Tensor& labels) {
  return forward_float32(options_.device, options_.bf16, [&] { return networks_.critic->forward(images, labels); });
}

CriticOutput TrainStep::score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) {
  return forward_float32(options_.device, options_.bf16,
                         [&] { return networks_.critic->score_and_classify(images, labels); });
}

void TrainStep::check_now() {
  if (auto bad = stats_.read()) throw NonFiniteStatError(*bad);
}

void TrainStep::run(const std::function<RealBatch(int64_t)>& real_batch, int64_t first_real_batch, bool check) {
  for (int64_t i = 0; i < options_.n_critic; ++i) {
    auto real = real_batch(i);
    timer_->lap("1 data");
    critic_update(real, (first_real_batch + i) % options_.gp_every == 0, check);
  }
  generator_update(check);
}

void TrainStep::critic_update(const RealBatch& real, bool penalty_step, bool check) {
  // Real, fake and the penalty's interpolates share the real batch's classes; the joint pass scores
  // real and fake in one call over both. With a class head, the loss's first call (every loss
  // scores the real images first, alone or ahead of the fake ones) also yields the real images'
  // class logits, so the head costs no pass of its own.
  const auto& labels = real.labels;
  torch::Tensor real_class_logits;
  const auto critic_fn = [this, &labels, &real_class_logits](const torch::Tensor& x) {
    const auto x_labels =
        labels.defined() && x.size(0) == 2 * labels.size(0) ? torch::cat({labels, labels}) : labels;
    if (options_.class_loss_weight == 0 || real_class_logits.defined()) return score(x, x_labels);
    auto out = score_and_classify(x, x_labels);
    real_class_logits = out.class_logits.narrow(0, 0, labels.size(0));
    return out.score;
  };
  torch::Tensor fake;
  {
    // The generator runs without autograd here: its graph would be thrown away.
    torch::NoGradGuard no_grad;
    fake = generate(random_z(), labels);
  }
  timer_->lap("2 generator forward for the critic (no autograd)");
  // Lazy penalty (--gp-every k): every k-th critic step carries k times the penalty.
  loss_options_.gp_lambda = penalty_step ? options_.gp_lambda * static_cast<double>(options_.gp_every) : 0.0;
  // Distributed: the interpolation weights too are one draw for the whole batch, then sliced.
  if (group_ && group_->world_size() > 1 && loss_.gradient_penalty && loss_options_.gp_lambda > 0)
    loss_options_.alpha =
        my_share(torch::rand({options_.batch}, torch::TensorOptions().dtype(torch::kFloat32).device(options_.device)));
  // Real and generated images both go through --augment; the penalty's interpolates are made of the
  // augmented pair (the loss builds them from what it is given).
  auto terms = loss_.critic(critic_fn, see(real.images), see(fake), loss_options_);
  if (real_class_logits.defined()) {
    const auto class_loss = torch::nn::functional::cross_entropy(real_class_logits, labels);
    terms.loss = terms.loss + options_.class_loss_weight * class_loss;
    stats_.report("critic_class_loss", class_loss);
  }
  timer_->lap("3 critic forward: real, fake, penalty gradient");
  networks_.critic_opt->zero_grad();
  terms.loss.backward();
  if (group_) average_gradients(*group_, networks_.critic->parameters());
  timer_->lap("4 critic backward (incl. through the penalty)");
  stats_.report("critic_loss", terms.loss, "D");
  stats_.report("wasserstein", terms.real_score - terms.fake_score, "W");
  stats_.report("penalty", terms.penalty, "GP");
  stats_.report("real_score", terms.real_score, "real");
  stats_.report("fake_score", terms.fake_score, "fake");
  if (terms.gradient_norm.defined()) stats_.report("penalty_grad_norm", terms.gradient_norm, "|grad|");
  stats_.report("critic_grad_norm", gradient_norm(*networks_.critic));
  if (check) check_now();  // before the optimizer touches the weights
  networks_.critic_opt->step();
  loss_.after_critic_step(networks_.critic->parameters(), loss_options_);
  timer_->lap("5 critic checks, optimizer, clipping");
}

void TrainStep::generator_update(bool check) {
  // The critic's weights are frozen so their gradients are not computed.
  set_requires_grad(*networks_.critic, false);
  // Through the same transforms as the critic step, so the generator is not asked to make them.
  auto z = random_z();
  const auto labels = random_labels();
  const auto seen = see(generate(z, labels));
  torch::Tensor g_loss;
  if (options_.class_loss_weight > 0) {
    // The class head's verdict on the generated images, at a tenth of the critic's weight (the
    // WGAN-GP paper's conditional model weighs the two sides so).
    auto out = score_and_classify(seen, labels);
    g_loss = loss_.generator(out.score) +
             0.1 * options_.class_loss_weight * torch::nn::functional::cross_entropy(out.class_logits, labels);
  } else {
    g_loss = loss_.generator(score(seen, labels));
  }
  networks_.generator_opt->zero_grad();
  g_loss.backward();
  if (group_) average_gradients(*group_, networks_.generator->parameters());
  set_requires_grad(*networks_.critic, true);
  stats_.report("generator_loss", g_loss, "G");
  stats_.report("generator_grad_norm", gradient_norm(*networks_.generator));
  if (check) check_now();
  networks_.generator_opt->step();
  timer_->lap("6 generator step (forward, backward, optimizer)");
}

}  // namespace wgan
