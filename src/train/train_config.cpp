#include "wgan/train/train_config.h"

#include <cmath>

#include "wgan/losses/losses.h"
#include "wgan/train/precision.h"
#include "wgan/util/error.h"

namespace wgan {

void validate(const TrainConfig& c, bool image_shape_known) {
  validate(c.model, image_shape_known);
  make_loss(c.loss);  // throws for an unknown --loss
  if (c.batch <= 0) throw UserError("--batch " + std::to_string(c.batch) + " must be positive");
  if (c.n_critic && *c.n_critic <= 0) throw UserError("--n-critic must be positive");
  if (c.lr && !(*c.lr > 0 && std::isfinite(*c.lr))) throw UserError("--lr must be a positive number");
  if (c.beta1 && !(*c.beta1 >= 0 && *c.beta1 < 1)) throw UserError("--beta1 must be in [0, 1)");
  if (c.beta2 && !(*c.beta2 >= 0 && *c.beta2 < 1)) throw UserError("--beta2 must be in [0, 1)");
  if (!(c.gp_lambda >= 0 && std::isfinite(c.gp_lambda))) throw UserError("--gp-lambda must be >= 0");
  if (!(c.clip > 0)) throw UserError("--clip must be positive");
  if (c.gp_every < 1) throw UserError("--gp-every must be >= 1");
  if (!(c.ema_kimg >= 0)) throw UserError("--ema-kimg must be >= 0");
  if (c.max_images < 0) throw UserError("--max-images must be >= 0");
  if (c.threads < 0) throw UserError("--threads must be >= 0");
  if (c.device != "cpu" && c.device != "cuda" && c.device != "auto") {
    throw UserError("--device '" + c.device + "' must be cpu, cuda or auto");
  }
  check_precision(c.precision);  // throws for anything but auto / fp32 / bf16
  if (c.gpu_data != "auto" && c.gpu_data != "on" && c.gpu_data != "off")
    throw UserError("--gpu-data '" + c.gpu_data + "' must be auto, on or off");
  if (c.check_every < 0) throw UserError("--check-every must be >= 0 (0 = automatic)");
  if (c.data.empty()) throw UserError("--data must not be empty");
  const int lengths = (c.kimg ? 1 : 0) + (c.steps ? 1 : 0) + (c.epochs ? 1 : 0);
  if (lengths > 1) throw UserError("give only one of --kimg, --steps, --epochs");
  if (c.kimg && !(*c.kimg > 0)) throw UserError("--kimg must be positive");
  if (c.steps && *c.steps <= 0) throw UserError("--steps must be positive");
  if (c.epochs && !(*c.epochs > 0)) throw UserError("--epochs must be positive");
  if (c.log_every <= 0) throw UserError("--log-every must be positive");
  if (c.sample_every <= 0) throw UserError("--sample-every must be positive");
  if (c.checkpoint_every <= 0) throw UserError("--checkpoint-every must be positive");
  if (c.keep_checkpoints <= 0) throw UserError("--keep-checkpoints must be positive");
  if (c.sample_count <= 0 || c.sample_count > 1024) throw UserError("--sample-count must be in 1..1024");
  if (c.grid_nrow <= 0) throw UserError("--nrow must be positive");
  if (c.metrics_every_kimg < 0) throw UserError("--metrics-every must be >= 0 (0 = only at the end)");
  if (c.metrics_num < 2) throw UserError("--metrics-num must be at least 2");
  if (c.run_dir.empty()) throw UserError("--run-dir must not be empty");
}

void resolve(TrainConfig& c, int64_t dataset_size) {
  validate(c);
  if (c.loss == "wgan-gp") {
    if (!c.n_critic) c.n_critic = 5;
    if (!c.lr) c.lr = 1e-4;
    if (!c.beta1) c.beta1 = 0.0;
    if (!c.beta2) c.beta2 = 0.9;
  } else if (c.loss == "wgan") {
    if (!c.n_critic) c.n_critic = 5;
    if (!c.lr) c.lr = 5e-5;  // RMSprop, as the WGAN paper; betas unused
    if (!c.beta1) c.beta1 = 0.0;
    if (!c.beta2) c.beta2 = 0.0;
  } else {
    if (!c.n_critic) c.n_critic = 1;
    if (!c.lr) c.lr = 2e-4;
    if (!c.beta1) c.beta1 = 0.5;
    if (!c.beta2) c.beta2 = 0.999;
  }
  if (!c.kimg && !c.steps && !c.epochs) c.steps = 2000;  // the default length
  const double images_per_step = static_cast<double>(c.batch * *c.n_critic);
  if (c.steps) {
    c.total_steps = *c.steps;
  } else if (c.kimg) {
    c.total_steps = static_cast<int64_t>(std::ceil(*c.kimg * 1000.0 / images_per_step));
  } else if (dataset_size > 0) {
    const double batches = std::floor(static_cast<double>(dataset_size) / c.batch) * *c.epochs;
    c.total_steps = static_cast<int64_t>(std::ceil(batches / *c.n_critic));
  }
  if (c.total_steps <= 0) c.total_steps = 1;
}

namespace {

template <typename T>
nlohmann::json optional_json(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

template <typename T>
void read_optional(const nlohmann::json& j, const char* key, std::optional<T>& out) {
  if (j.contains(key) && !j.at(key).is_null()) out = j.at(key).get<T>();
}

template <typename T>
void read_value(const nlohmann::json& j, const char* key, T& out) {
  if (j.contains(key)) out = j.at(key).get<T>();
}

}  // namespace

nlohmann::json to_json(const TrainConfig& c) {
  return {
      {"model",
       {{"arch", c.model.arch},
        {"resolution", c.model.resolution},
        {"channels", c.model.channels},
        {"latent_dim", c.model.latent_dim},
        {"width", c.model.width},
        {"critic_norm", c.model.critic_norm}}},
      {"data", c.data},
      {"data_dir", c.data_dir},
      {"max_images", c.max_images},
      {"xflip", c.xflip},
      {"loss", c.loss},
      {"gp_lambda", c.gp_lambda},
      {"gp_every", c.gp_every},
      {"clip", c.clip},
      {"batch", c.batch},
      {"n_critic", optional_json(c.n_critic)},
      {"lr", optional_json(c.lr)},
      {"beta1", optional_json(c.beta1)},
      {"beta2", optional_json(c.beta2)},
      {"ema_kimg", c.ema_kimg},
      {"ema_rampup", c.ema_rampup},
      {"kimg", optional_json(c.kimg)},
      {"steps", optional_json(c.steps)},
      {"epochs", optional_json(c.epochs)},
      {"total_steps", c.total_steps},
      {"seed", c.seed},
      {"threads", c.threads},
      {"device", c.device},
      {"precision", c.precision},
      {"channels_last", c.channels_last},
      {"gpu_data", c.gpu_data},
      {"check_every", c.check_every},
      {"cuda_graph", c.cuda_graph},
      {"run_dir", c.run_dir},
      {"log_every", c.log_every},
      {"sample_every", c.sample_every},
      {"checkpoint_every", c.checkpoint_every},
      {"keep_checkpoints", c.keep_checkpoints},
      {"sample_count", c.sample_count},
      {"grid_nrow", c.grid_nrow},
      {"metrics", c.metrics},
      {"metrics_every_kimg", c.metrics_every_kimg},
      {"metrics_num", c.metrics_num},
      {"classifier", c.classifier},
      {"inception", c.inception},
  };
}

TrainConfig train_config_from_json(const nlohmann::json& j) {
  TrainConfig c;
  if (j.contains("model")) {
    const auto& m = j.at("model");
    read_value(m, "arch", c.model.arch);
    read_value(m, "resolution", c.model.resolution);
    read_value(m, "channels", c.model.channels);
    read_value(m, "latent_dim", c.model.latent_dim);
    read_value(m, "width", c.model.width);
    read_value(m, "critic_norm", c.model.critic_norm);
  }
  read_value(j, "data", c.data);
  read_value(j, "data_dir", c.data_dir);
  read_value(j, "max_images", c.max_images);
  read_value(j, "xflip", c.xflip);
  read_value(j, "loss", c.loss);
  read_value(j, "gp_lambda", c.gp_lambda);
  read_value(j, "gp_every", c.gp_every);
  read_value(j, "clip", c.clip);
  read_value(j, "batch", c.batch);
  read_optional(j, "n_critic", c.n_critic);
  read_optional(j, "lr", c.lr);
  read_optional(j, "beta1", c.beta1);
  read_optional(j, "beta2", c.beta2);
  read_value(j, "ema_kimg", c.ema_kimg);
  read_value(j, "ema_rampup", c.ema_rampup);
  read_optional(j, "kimg", c.kimg);
  read_optional(j, "steps", c.steps);
  read_optional(j, "epochs", c.epochs);
  read_value(j, "total_steps", c.total_steps);
  read_value(j, "seed", c.seed);
  read_value(j, "threads", c.threads);
  read_value(j, "device", c.device);
  read_value(j, "precision", c.precision);
  read_value(j, "channels_last", c.channels_last);
  read_value(j, "gpu_data", c.gpu_data);
  read_value(j, "check_every", c.check_every);
  read_value(j, "cuda_graph", c.cuda_graph);
  read_value(j, "run_dir", c.run_dir);
  read_value(j, "log_every", c.log_every);
  read_value(j, "sample_every", c.sample_every);
  read_value(j, "checkpoint_every", c.checkpoint_every);
  read_value(j, "keep_checkpoints", c.keep_checkpoints);
  read_value(j, "sample_count", c.sample_count);
  read_value(j, "grid_nrow", c.grid_nrow);
  read_value(j, "metrics", c.metrics);
  read_value(j, "metrics_every_kimg", c.metrics_every_kimg);
  read_value(j, "metrics_num", c.metrics_num);
  read_value(j, "classifier", c.classifier);
  read_value(j, "inception", c.inception);
  return c;
}

}  // namespace wgan
