// Image-quality metrics behind one interface and a registry by name, so `wgan eval` and
// `wgan train --metrics` share them and a new metric is one file plus one registry line.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "wgan/data/dataset.h"
#include "wgan/data/fashion_mnist.h"

namespace wgan {

class GeneratorNet;
struct ModelConfig;

// What a metric may need to know besides the generated images.
struct MetricContext {
  std::string data = "fashion-mnist";  // the real images: fashion-mnist (its test split) or a DATASET/FOLDER
  std::string data_dir = kFashionMnistDefaultDir;
  std::string classifier;              // fd-fmnist weights ("" = the committed models/fashion_mnist_classifier.pt)
  std::string inception;               // fid/kid: a TorchScript Inception (e.g. inception-2015-12-05.pt)
  torch::Device device = torch::kCPU;  // where feature networks run
  uint64_t seed = 0;                   // patches, directions and subsets
  const ImageDataset* train_images = nullptr;  // the run's loaded data, when there is one (saves a reload)
  int64_t train_max_images = 0;        // the run's --max-images, for metrics that load its training images
  // Objects metrics share within one context (the Inception network and its features for fid + kid).
  std::shared_ptr<std::map<std::string, std::shared_ptr<void>>> shared =
      std::make_shared<std::map<std::string, std::shared_ptr<void>>>();
};

class Metric {
 public:
  virtual ~Metric() = default;
  // `fake`: N x C x H x W uint8 generated images; `labels` (int64 N): the class each was generated
  // as, for a conditional generator (undefined otherwise). Returns flat named figures, each name
  // prefixed with the metric's ("swd_avg", "fd_fmnist", ...). Real statistics are computed
  // on first use and kept.
  virtual nlohmann::json evaluate(const torch::Tensor& fake_uint8, const torch::Tensor& labels = {}) = 0;
};

struct MetricInfo {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Metric>(const MetricContext&)> make;
};

const std::vector<MetricInfo>& metric_registry();

// "swd,fd-fmnist" -> the metrics, in order. UserError naming `flag` for an unknown or repeated name.
std::vector<std::unique_ptr<Metric>> make_metrics(const std::string& names, const MetricContext& context,
                                                  const std::string& flag = "--metrics");

// Real images N x C x H x W uint8 to compare against: Fashion-MNIST's test split, or `count`
// images of the dataset drawn in a fixed order from `seed` (all of them when it has fewer).
torch::Tensor reference_images(const MetricContext& context, int64_t count);

// The run's training images (context.train_images), or `context.data` loaded as training data,
// its first `max_images` (0 = all).
ImageDataset training_images(const MetricContext& context, int64_t max_images, bool quiet);

// `count` generated images as uint8 N x C x H x W on the CPU, from z drawn from `seed`; a
// conditional generator is asked for `labels`.
torch::Tensor generate_uint8(GeneratorNet& generator, int64_t latent_dim, int64_t count, uint64_t seed,
                             torch::Device device, const torch::Tensor& labels = {});

// Generates `count` images once and runs every metric on them; one flat JSON object. A conditional
// model's images are drawn at its training data's class frequencies (labels_at_class_frequencies).
nlohmann::json evaluate_metrics(std::vector<std::unique_ptr<Metric>>& metrics, GeneratorNet& generator,
                                const ModelConfig& model, int64_t count, uint64_t seed, torch::Device device);

// The factories, one per metric file.
std::unique_ptr<Metric> make_swd_metric(const MetricContext& context);
std::unique_ptr<Metric> make_fd_fmnist_metric(const MetricContext& context);
std::unique_ptr<Metric> make_fid_metric(const MetricContext& context);
std::unique_ptr<Metric> make_kid_metric(const MetricContext& context);
std::unique_ptr<Metric> make_copies_metric(const MetricContext& context);

}  // namespace wgan
