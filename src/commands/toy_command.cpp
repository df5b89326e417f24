#include "wgan/commands/toy_command.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "wgan/io/image_grid.h"
#include "wgan/losses/losses.h"
#include "wgan/optim/foreach_adam.h"
#include "wgan/optim/moving_average.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/progress.h"

namespace fs = std::filesystem;
namespace nn = torch::nn;

namespace wgan {

double toy_learning_rate(const ToyConfig& c) {
  if (c.lr > 0) return c.lr;
  // The paper's toy rate is Adam 1e-4 for every Adam loss; an RMSprop loss keeps its own (wgan: 5e-5).
  const Loss& loss = make_loss(c.loss);
  return loss.optimizer == OptimizerKind::kAdam ? 1e-4 : loss.lr;
}

ToyConfig paper_toy_config() {
  ToyConfig c;
  c.hidden = 512;
  c.steps = 20000;
  c.lr = 0;  // the paper's: Adam 1e-4 (RMSprop 5e-5 for wgan)
  c.lr_decay_from = 1.0;
  return c;
}

std::string describe_toy_run(const ToyConfig& c, double seconds_per_step) {
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", toy_learning_rate(c));
  std::string schedule = c.lr_decay_from < 1 ? " decaying to 0 from " +
                                                   std::to_string(static_cast<int>(c.lr_decay_from * 100 + 0.5)) + "%"
                                             : " constant";
  return "toy " + c.dataset + ", " + c.loss + ": hidden " + std::to_string(c.hidden) + ", " + std::to_string(c.steps) +
         " steps, lr " + lr + schedule + "; expected time about " +
         ProgressBar::format_duration(seconds_per_step * static_cast<double>(c.steps)) +
         " on this machine (measured over the first steps)";
}

ToyResult run_toy(const ToyConfig& c, const StopRequest* stop) {
  if (c.steps < 1 || c.batch < 2 || c.n_critic < 1 || c.hidden < 1 || c.eval_every < 1 || c.eval_samples < 1)
    throw UserError("--steps, --batch (>= 2), --n-critic, --hidden, --eval-every and --eval-samples must be positive");
  if (c.ema < 0 || c.ema >= 1) throw UserError("--ema must be in [0, 1)");
  if (c.lr < 0) throw UserError("--lr must be positive (0 = the paper's)");
  if (!(c.lr_decay_from >= 0 && c.lr_decay_from <= 1)) throw UserError("--lr-decay-from must be in [0, 1]");
  if (c.stop_at_quality < 0 || c.stop_at_quality > 1) throw UserError("--stop-at-quality must be in [0, 1]");
  if (c.threads > 0) torch::set_num_threads(static_cast<int>(c.threads));
  ToyDistribution data(c.dataset, c.seed);
  auto loss = make_loss(c.loss);
  LossOptions loss_options;
  loss_options.gp_lambda = c.gp_lambda;
  torch::manual_seed(c.seed);
  auto generator = make_toy_mlp(2, c.hidden, 2);
  auto critic = make_toy_mlp(2, c.hidden, 1);
  // The paper's toy optimizer: the loss's kind, with betas 0.5 / 0.9 where it is Adam.
  const double lr = toy_learning_rate(c);
  auto g_opt = make_optimizer(loss.optimizer, generator->parameters(), lr, 0.5, 0.9);
  auto d_opt = make_optimizer(loss.optimizer, critic->parameters(), lr, 0.5, 0.9);
  // The averaged generator: SGD noise makes the raw generator's points jitter around each mode;
  // the average of its recent weights draws them where the raw one is on average.
  auto averaged = make_toy_mlp(2, c.hidden, 2);
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < averaged->parameters().size(); ++i)
      averaged->parameters()[i].copy_(generator->parameters()[i]);
  }
  CriticFn critic_fn = [&](const torch::Tensor& x) { return critic->forward(x).squeeze(1); };
  fs::create_directories(c.out);
  const std::string metrics_path = (fs::path(c.out) / "metrics.jsonl").string();
  const std::string picture_path = (fs::path(c.out) / (c.dataset + ".png")).string();
  auto eval_noise = torch::randn({c.eval_samples, 2});
  auto eval_real = data.next_batch(c.eval_samples);

  ToyResult result;
  ProgressBar progress("toy " + c.dataset, c.steps);
  double wasserstein = 0;
  const double base_lr = g_opt->param_groups().front().options().get_lr();
  const auto decay_start = static_cast<int64_t>(std::floor(c.lr_decay_from * static_cast<double>(c.steps)));
  const auto started = std::chrono::steady_clock::now();
  const int64_t timed_steps = std::min<int64_t>(20, c.steps);
  for (int64_t step = 1; step <= c.steps; ++step) {
    if (step > decay_start) {
      // Linear to zero at the last step: the points settle on the modes instead of jittering.
      const double lr = base_lr * static_cast<double>(c.steps - step + 1) / static_cast<double>(c.steps - decay_start);
      for (auto* opt : {g_opt.get(), d_opt.get()})
        for (auto& group : opt->param_groups()) group.options().set_lr(lr);
    }
    // The paper's loop: a generator step (not on the first iteration), then the critic steps.
    if (step > 1) {
      for (auto& p : critic->parameters()) p.requires_grad_(false);
      auto g_loss = loss.generator(critic_fn(generator->forward(torch::randn({c.batch, 2}))));
      g_opt->zero_grad();
      g_loss.backward();
      g_opt->step();
      for (auto& p : critic->parameters()) p.requires_grad_(true);
      update_moving_average(*averaged, *generator, c.ema);
    }
    for (int64_t k = 0; k < c.n_critic; ++k) {
      torch::Tensor fake;
      {
        torch::NoGradGuard no_grad;
        fake = generator->forward(torch::randn({c.batch, 2}));
      }
      auto terms = loss.critic(critic_fn, data.next_batch(c.batch), fake, loss_options);
      d_opt->zero_grad();
      terms.loss.backward();
      d_opt->step();
      loss.after_critic_step(critic->parameters(), loss_options);
      if (k + 1 == c.n_critic) wasserstein = (terms.real_score - terms.fake_score).item<double>();
    }
    if (!std::isfinite(wasserstein)) throw std::runtime_error("toy training diverged at step " + std::to_string(step));
    result.steps = step;
    if (step == timed_steps && !c.quiet) {
      // The expected time, from the first steps on this machine, before the user waits for it.
      const double per_step =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / static_cast<double>(step);
      std::cerr << describe_toy_run(c, per_step) << "\n";
    }
    const bool stopping = stop && stop->raised();
    if (step % c.eval_every == 0 || step == c.steps || stopping) {
      torch::Tensor samples, raw_samples;
      {
        torch::NoGradGuard no_grad;
        raw_samples = generator->forward(eval_noise);
        samples = c.ema > 0 ? averaged->forward(eval_noise) : raw_samples;
      }
      result.metrics = mode_metrics(samples, data.modes(), data.mode_std());
      result.raw_metrics = mode_metrics(raw_samples, data.modes(), data.mode_std());
      nlohmann::json line = {{"step", step}, {"wasserstein", wasserstein}};
      if (result.metrics.modes > 0) {
        line["modes_covered"] = result.metrics.modes_covered;
        line["modes"] = result.metrics.modes;
        line["high_quality"] = result.metrics.high_quality;
        line["kl_to_uniform"] = result.metrics.kl_to_uniform;
        line["raw_modes_covered"] = result.raw_metrics.modes_covered;
        line["raw_high_quality"] = result.raw_metrics.high_quality;
      }
      append_line(metrics_path, line.dump());
      write_png(picture_path, draw_toy_picture(critic, eval_real, samples));
      result.picture = picture_path;
      char suffix[128];
      std::snprintf(suffix, sizeof suffix, "W %.4f | modes %lld/%lld | HQ %.1f%%", wasserstein,
                    static_cast<long long>(result.metrics.modes_covered), static_cast<long long>(result.metrics.modes),
                    100.0 * result.metrics.high_quality);
      if (!c.quiet) progress.update(step, suffix, true);
      const bool reached = c.stop_at_quality > 0 && result.metrics.modes > 0 &&
                           result.metrics.modes_covered == result.metrics.modes &&
                           result.metrics.high_quality >= c.stop_at_quality;
      if (reached || stopping) break;
    }
  }
  if (!c.quiet) progress.finish();
  return result;
}

}  // namespace wgan
