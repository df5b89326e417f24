// The adversarial losses as free functions of tensors and a critic, and the loss table: the
// training loop picks a row by name and never knows which loss it runs.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wgan {

// Any critic: images (B x ...) to one score per image (B).
using CriticFn = std::function<torch::Tensor(const torch::Tensor&)>;

// What one critic step computed; all scalars. `penalty` is zero for losses without one.
struct CriticTerms {
  torch::Tensor loss;        // what the critic minimises
  torch::Tensor real_score;  // mean D(real)
  torch::Tensor fake_score;  // mean D(fake)
  torch::Tensor penalty;     // lambda-weighted gradient penalty
  torch::Tensor gradient_norm;  // mean ||grad D(x_hat)|| over the penalty's interpolates (undefined without one)
};

struct LossOptions {
  double gp_lambda = 10.0;  // weight of the gradient penalty (wgan-gp); 0 skips computing it
  double gp_eps = 1e-12;    // inside the square root: the norm's gradient stays finite at zero
  double clip = 0.01;       // weight clipping bound (wgan)
  double drift = 0.0;       // wgan-gp: weight of mean(D(real)^2) in the critic's loss (Progressive GAN)
  torch::Tensor alpha;      // penalty interpolation weights (B); undefined: drawn uniform per call
  bool joint_pass = false;  // score real and fake in one critic call over both (half the launches);
                            // only exact when the critic treats each sample alone (no batch norm)
};

// lambda * mean_i (||grad_x D(x_hat_i)||_2 - 1)^2 over interpolates x_hat = a*real + (1-a)*fake,
// one a per sample broadcast over all other dims. The norm is per sample over every non-batch
// dim, with eps inside the square root. The gradient is taken with create_graph, so the
// penalty's own gradient reaches the critic's parameters (the blog post's create_graph=False
// silently trains nothing). `alpha` (B) may be given for tests; otherwise uniform in [0, 1).
// `mean_norm`, when given, receives the mean of the per-sample norms (detached).
torch::Tensor gradient_penalty(const CriticFn& critic, const torch::Tensor& real, const torch::Tensor& fake,
                               double lambda, double eps, const torch::Tensor& alpha = {},
                               torch::Tensor* mean_norm = nullptr);

// WGAN-GP critic: -D(real) + D(fake) + penalty.
CriticTerms wgan_gp_critic_loss(const CriticFn& critic, const torch::Tensor& real, const torch::Tensor& fake,
                                const LossOptions& options);
// WGAN (weight clipping) critic: -D(real) + D(fake); clipping happens after the optimiser step.
CriticTerms wgan_critic_loss(const CriticFn& critic, const torch::Tensor& real, const torch::Tensor& fake,
                             const LossOptions& options);
// Standard GAN critic: BCE on logits with real = 1, fake = 0 (the blog post's labels).
CriticTerms gan_critic_loss(const CriticFn& critic, const torch::Tensor& real, const torch::Tensor& fake,
                            const LossOptions& options);

// Generator losses from the critic's scores on generated images.
torch::Tensor wasserstein_generator_loss(const torch::Tensor& fake_scores);  // -mean D(G(z))
torch::Tensor nonsaturating_generator_loss(const torch::Tensor& fake_scores);  // softplus(-D(G(z))), BCE with label 1

// Clamps every parameter into [-bound, bound] (WGAN's Lipschitz constraint).
void clip_weights(const std::vector<torch::Tensor>& parameters, double bound);

// Which optimizer a loss trains both networks with.
enum class OptimizerKind { kAdam, kRmsprop };

// One row of the loss table: everything that differs between losses lives here, so adding a
// loss (hinge, say) is one entry in loss_table() (losses.cpp) and nothing else.
struct Loss {
  std::string name;                 // the --loss spelling
  std::string summary;              // one line for --help
  std::function<CriticTerms(const CriticFn&, const torch::Tensor&, const torch::Tensor&, const LossOptions&)> critic;
  std::function<torch::Tensor(const torch::Tensor&)> generator;
  // Runs after every critic optimiser step (weight clipping for wgan; nothing otherwise).
  std::function<void(const std::vector<torch::Tensor>&, const LossOptions&)> after_critic_step;
  bool gradient_penalty = false;    // the critic step takes the penalty (and so needs per-sample critics)
  // Training defaults for a run that does not set them (--n-critic, --lr, --beta1, --beta2).
  OptimizerKind optimizer = OptimizerKind::kAdam;
  int64_t n_critic = 5;
  double lr = 1e-4;
  double beta1 = 0.0;               // Adam only
  double beta2 = 0.9;               // Adam only
  // On the CPU, where the narrower default width (kCpuDefaultWidth) trains best with other
  // settings: {flag, value as typed}, for a new run's options that neither the user nor the
  // architecture's row set (run/train_config.cpp: apply_cpu_defaults).
  std::vector<std::pair<std::string, std::string>> cpu_training_defaults;
};

// Every loss, in the order --help lists them.
const std::vector<Loss>& loss_table();

// The table row for --loss NAME; throws UserError naming --loss and the choices for an unknown name.
const Loss& make_loss(const std::string& name);
// The row for NAME, or null.
const Loss* find_loss(const std::string& name);

const std::vector<std::string>& loss_names();
// For --loss's help: one line per loss with its optimizer defaults, from the table.
std::string loss_help();

}  // namespace wgan
