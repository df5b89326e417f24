#include "wgan/metrics/metric.h"

#include <ATen/CPUGeneratorImpl.h>

#include <set>
#include <sstream>

#include "wgan/data/fashion_mnist.h"
#include "wgan/data/training_data.h"
#include "wgan/models/networks.h"
#include "wgan/generate/class_labels.h"
#include "wgan/generate/generate.h"
#include "wgan/util/error.h"
#include "wgan/util/stop_request.h"

namespace wgan {

const std::vector<MetricInfo>& metric_registry() {
  static const std::vector<MetricInfo> registry = {
      {"swd", "sliced Wasserstein distance on Laplacian-pyramid patches (ProGAN), x1e3, per level and average",
       make_swd_metric},
      {"fd-fmnist", "Fréchet distance in the features of the project's Fashion-MNIST classifier, with class coverage",
       make_fd_fmnist_metric},
      {"fid", "Fréchet Inception distance (needs --inception FILE)", make_fid_metric},
      {"kid", "kernel Inception distance, 100 subsets of 1000 (needs --inception FILE)", make_kid_metric},
      {"copies", "memorisation: share of generated images nearer (in pixels) to a training image than 95% of the "
                 "training images are to each other (about 0.05: new images; near 1: copies)", make_copies_metric},
  };
  return registry;
}

std::vector<std::unique_ptr<Metric>> make_metrics(const std::string& names, const MetricContext& context,
                                                  const std::string& flag) {
  std::vector<std::unique_ptr<Metric>> metrics;
  std::set<std::string> seen;
  std::stringstream stream(names);
  std::string name;
  while (std::getline(stream, name, ',')) {
    if (name.empty()) continue;
    if (!seen.insert(name).second) throw UserError(flag + ": '" + name + "' is listed twice");
    const MetricInfo* info = nullptr;
    for (const auto& candidate : metric_registry())
      if (candidate.name == name) info = &candidate;
    if (!info) {
      std::string known;
      for (const auto& candidate : metric_registry()) known += (known.empty() ? "" : ", ") + candidate.name;
      throw UserError(flag + ": unknown metric '" + name + "' (known: " + known + ")");
    }
    metrics.push_back(info->make(context));
  }
  if (metrics.empty()) throw UserError(flag + ": no metric named");
  return metrics;
}

torch::Tensor reference_images(const MetricContext& context, int64_t count) {
  if (context.data == "fashion-mnist") {
    auto test = load_fashion_mnist(context.data_dir, FashionMnistSplit::kTest);
    return test.images.slice(0, 0, count).permute({0, 3, 1, 2}).contiguous();
  }
  const ImageDataset dataset = training_images(context, /*max_images=*/0, /*quiet=*/false);
  auto rng = at::detail::createCPUGenerator(context.seed + 1);
  auto order = torch::randperm(dataset.size(), rng, torch::kLong).slice(0, 0, count);
  return dataset.images.index_select(0, order).permute({0, 3, 1, 2}).contiguous();
}

ImageDataset training_images(const MetricContext& context, int64_t max_images, bool quiet) {
  if (context.train_images) return *context.train_images;  // shares the tensor, no copy
  DataRequest request;
  request.data = context.data;
  request.data_dir = context.data_dir;
  request.max_images = max_images;
  request.quiet = quiet;
  return load_training_data(request);
}

torch::Tensor generate_uint8(GeneratorNet& generator, int64_t latent_dim, int64_t count, uint64_t seed,
                             torch::Device device, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  const bool was_training = generator.is_training();
  generator.eval();
  auto images = to_uint8(generate(generator, latent_dim, count, seed, device, 256, labels)).cpu();
  generator.train(was_training);
  return images;
}

nlohmann::json evaluate_metrics(std::vector<std::unique_ptr<Metric>>& metrics, GeneratorNet& generator,
                                const ModelConfig& model, int64_t count, uint64_t seed, torch::Device device) {
  const auto labels = labels_at_class_frequencies(model, count);
  auto fake = generate_uint8(generator, model.latent_dim, count, seed, device, labels);
  nlohmann::json all = nlohmann::json::object();
  for (auto& metric : metrics) {
    abandon_if_stopped();
    all.update(metric->evaluate(fake, labels));
  }
  return all;
}

}  // namespace wgan
