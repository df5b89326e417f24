#include "wgan/losses/losses.h"

#include <cstdio>

#include "wgan/util/error.h"

namespace wgan {

torch::Tensor gradient_penalty(const CriticFn& critic, const torch::Tensor& real, const torch::Tensor& fake,
                               double lambda, double eps, const torch::Tensor& alpha_in, torch::Tensor* mean_norm) {
  const int64_t batch = real.size(0);
  std::vector<int64_t> alpha_shape(static_cast<size_t>(real.dim()), 1);
  alpha_shape[0] = batch;
  auto alpha = alpha_in.defined() ? alpha_in.to(real.options()).view(alpha_shape)
                                  : torch::rand(alpha_shape, real.options());
  auto x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(true);
  auto scores = critic(x_hat);
  auto grads = torch::autograd::grad({scores.sum()}, {x_hat}, /*grad_outputs=*/{},
                                     /*retain_graph=*/true, /*create_graph=*/true)[0];
  auto norms = (grads.reshape({batch, -1}).pow(2).sum(1) + eps).sqrt();
  if (mean_norm) *mean_norm = norms.detach().mean();
  return lambda * (norms - 1).pow(2).mean();
}

namespace {

// The critic's scores of real and of fake, in one call over both when asked.
std::pair<torch::Tensor, torch::Tensor> score_both(const CriticFn& critic, const torch::Tensor& real,
                                                   const torch::Tensor& fake, bool joint) {
  if (!joint) return {critic(real), critic(fake)};
  auto scores = critic(torch::cat({real, fake}, 0));
  return {scores.narrow(0, 0, real.size(0)), scores.narrow(0, real.size(0), fake.size(0))};
}

CriticTerms wasserstein_terms(const CriticFn& critic, const torch::Tensor& real, const torch::Tensor& fake,
                              bool joint, double drift) {
  auto [real_scores, fake_scores] = score_both(critic, real, fake, joint);
  auto real_score = real_scores.mean();
  auto fake_score = fake_scores.mean();
  auto loss = fake_score - real_score;
  if (drift > 0) loss = loss + drift * real_scores.to(torch::kFloat32).pow(2).mean();
  return {loss, real_score, fake_score, torch::zeros({}, real_score.options()), torch::Tensor()};
}

}  // namespace

CriticTerms wgan_gp_critic_loss(const CriticFn& critic, const torch::Tensor& real, const torch::Tensor& fake,
                                const LossOptions& options) {
  auto terms = wasserstein_terms(critic, real, fake, options.joint_pass, options.drift);
  if (options.gp_lambda > 0) {  // lambda 0: a lazy-penalty step without the penalty
    terms.penalty = gradient_penalty(critic, real, fake, options.gp_lambda, options.gp_eps, options.alpha,
                                     &terms.gradient_norm);
    terms.loss = terms.loss + terms.penalty;
  }
  return terms;
}

CriticTerms wgan_critic_loss(const CriticFn& critic, const torch::Tensor& real, const torch::Tensor& fake,
                             const LossOptions& options) {
  return wasserstein_terms(critic, real, fake, options.joint_pass, /*drift=*/0.0);
}

CriticTerms gan_critic_loss(const CriticFn& critic, const torch::Tensor& real, const torch::Tensor& fake,
                            const LossOptions& options) {
  auto [real_logits, fake_logits] = score_both(critic, real, fake, options.joint_pass);
  // BCE(sigmoid(l), 1) = softplus(-l); BCE(sigmoid(l), 0) = softplus(l); stable for any l.
  auto loss = torch::softplus(-real_logits).mean() + torch::softplus(fake_logits).mean();
  return {loss, real_logits.mean(), fake_logits.mean(), torch::zeros({}, loss.options()), torch::Tensor()};
}

torch::Tensor wasserstein_generator_loss(const torch::Tensor& fake_scores) { return -fake_scores.mean(); }

torch::Tensor nonsaturating_generator_loss(const torch::Tensor& fake_scores) {
  return torch::softplus(-fake_scores).mean();
}

void clip_weights(const std::vector<torch::Tensor>& parameters, double bound) {
  torch::NoGradGuard no_grad;
  for (const auto& p : parameters) p.clamp_(-bound, bound);
}

const std::vector<Loss>& loss_table() {
  static const std::vector<Loss> table = [] {
    auto nothing = [](const std::vector<torch::Tensor>&, const LossOptions&) {};
    auto clip = [](const std::vector<torch::Tensor>& params, const LossOptions& o) { clip_weights(params, o.clip); };
    //        name       summary                                                   critic               generator
    //        after step  penalty optimizer               n_critic lr    beta1 beta2  cpu_training_defaults
    // wgan-gp on the CPU: Progressive GAN's optimiser (one critic step per generator step, Adam 1e-3,
    // betas 0 / 0.99, drift 0.001). In 10 minutes on one core of this project's 2-core CPU:
    // Fashion-MNIST fd-fmnist 36.9 against 221.9 with the paper's, emoji 64x64 grown SWD 27.4
    // against 77.6 (docs/performance-cpu.md, "Quality per minute").
    return std::vector<Loss>{
        {"wgan-gp", "WGAN with gradient penalty (Gulrajani et al. 2017)",
         wgan_gp_critic_loss, wasserstein_generator_loss, nothing, true, OptimizerKind::kAdam, 5, 1e-4, 0.0, 0.9,
         {{"--n-critic", "1"}, {"--lr", "1e-3"}, {"--beta1", "0"}, {"--beta2", "0.99"}, {"--drift", "0.001"}}},
        {"wgan", "WGAN with weight clipping (Arjovsky et al. 2017)",
         wgan_critic_loss, wasserstein_generator_loss, clip, false, OptimizerKind::kRmsprop, 5, 5e-5, 0.0, 0.0, {}},
        {"gan", "non-saturating GAN, BCE on logits (Goodfellow et al. 2014)",
         gan_critic_loss, nonsaturating_generator_loss, nothing, false, OptimizerKind::kAdam, 1, 2e-4, 0.5, 0.999, {}},
    };
  }();
  return table;
}

std::string loss_help() {
  auto number = [](double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return std::string(text);
  };
  std::string help;
  for (const auto& loss : loss_table()) {
    help += "\n  " + loss.name + ": " + loss.summary + "; " +
            (loss.optimizer == OptimizerKind::kAdam
                 ? "Adam " + number(loss.lr) + ", betas " + number(loss.beta1) + "/" + number(loss.beta2)
                 : "RMSprop " + number(loss.lr)) +
            ", " + std::to_string(loss.n_critic) + " critic step" + (loss.n_critic == 1 ? "" : "s");
    if (!loss.cpu_training_defaults.empty()) {
      help += "; on the CPU";
      for (const auto& [flag, value] : loss.cpu_training_defaults) help += " " + flag + " " + value;
    }
  }
  return help;
}

const std::vector<std::string>& loss_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& loss : loss_table()) out.push_back(loss.name);
    return out;
  }();
  return names;
}

const Loss* find_loss(const std::string& name) {
  for (const auto& loss : loss_table())
    if (loss.name == name) return &loss;
  return nullptr;
}

const Loss& make_loss(const std::string& name) {
  if (const Loss* loss = find_loss(name)) return *loss;
  std::string choices;
  for (const auto& known : loss_names()) choices += (choices.empty() ? "" : ", ") + known;
  throw UserError("--loss '" + name + "' must be one of " + choices);
}

}  // namespace wgan
