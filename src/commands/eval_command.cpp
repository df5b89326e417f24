#include "wgan/commands/eval_command.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "wgan/metrics/metric.h"
#include "wgan/run/generator_loader.h"
#include "wgan/util/device.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {

nlohmann::json run_eval(const EvalConfig& c) {
  if (c.num < 2) throw UserError("--num must be at least 2");
  if (c.threads > 0) torch::set_num_threads(static_cast<int>(c.threads));
  const auto device = resolve_device(c.device);
  auto loaded = load_generator(c.checkpoint, c.use_ema, device);
  MetricContext context;
  context.data = c.data.empty() ? loaded.config.data : c.data;
  context.data_dir = c.data_dir.empty() ? loaded.config.data_dir : c.data_dir;
  context.classifier = c.classifier;
  context.inception = c.inception;
  context.device = device;
  context.seed = c.seed;
  if (c.data.empty()) context.train_max_images = loaded.config.max_images;  // the images the run trained on
  const std::string names = !c.metrics.empty() ? c.metrics : context.data == "fashion-mnist" ? "swd,fd-fmnist" : "swd";
  auto metrics = make_metrics(names, context);

  const auto started = std::chrono::steady_clock::now();
  std::cerr << "evaluating " << names << " on " << c.num << " images from " << loaded.source << "\n";
  auto figures = evaluate_metrics(metrics, *loaded.net, loaded.config.model, c.num, c.seed, device);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  nlohmann::json line = {{"checkpoint", loaded.source},
                         {"step", loaded.step},
                         {"ema", loaded.is_ema},
                         {"num", c.num},
                         {"seed", c.seed},
                         {"data", context.data},
                         {"seconds", seconds}};
  line.update(figures);
  if (!c.out.empty()) {
    ensure_parent_dir(c.out);
    append_line(c.out, line.dump());
  }
  return line;
}

}  // namespace wgan
