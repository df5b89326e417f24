// `copies`: how much a generator reproduces its training images instead of making new ones (the
// memorisation a small data set invites). For each generated image, the pixel distance to its
// nearest training image; for a sample of training images, the distance to their nearest other
// training image. copies_share is the fraction of generated images closer to the training set
// than 95% of the training images are to each other: about 0.05 for a generator whose images are
// new draws of the same distribution, near 1 for one that copies.
#include <ATen/CPUGeneratorImpl.h>

#include "wgan/metrics/metric.h"
#include "wgan/util/error.h"
#include "wgan/util/stop_request.h"

namespace wgan {
namespace {

constexpr int64_t kMaxQueries = 2000;  // generated images and training images measured (each side)
constexpr double kQuantile = 0.05;     // of the training images' nearest-neighbour distances

// Flattened images in [0, 1], float32.
torch::Tensor flat(const torch::Tensor& uint8_nchw) {
  return uint8_nchw.reshape({uint8_nchw.size(0), -1}).to(torch::kFloat32) / 255.0;
}

// For each row of `queries`, the distance to its nearest row of `references`; with `query_index`
// (queries taken from the references) the reference with the same index is left out. The search
// uses |q|^2 + |r|^2 - 2 q.r, one matrix product per chunk; the distance to the neighbour found is
// then computed directly, so that an exact copy measures 0, not float32's rounding.
torch::Tensor nearest_distance(const torch::Tensor& queries, const torch::Tensor& references,
                               const torch::Tensor& query_index) {
  const auto q_norm = queries.pow(2).sum(1, true);
  auto best = torch::full({queries.size(0)}, std::numeric_limits<float>::infinity());
  auto best_index = torch::zeros({queries.size(0)}, torch::kLong);
  const int64_t chunk = 4096;
  for (int64_t start = 0; start < references.size(0); start += chunk) {
    abandon_if_stopped();
    const auto part = references.narrow(0, start, std::min(chunk, references.size(0) - start));
    auto d2 = (q_norm + part.pow(2).sum(1).unsqueeze(0) - 2 * queries.matmul(part.t())).clamp_min(0);
    if (query_index.defined()) {  // a training image is not its own neighbour
      auto columns = query_index - start;
      auto inside = (columns >= 0) & (columns < part.size(0));
      auto rows = torch::arange(queries.size(0)).masked_select(inside);
      d2.index_put_({rows, columns.masked_select(inside)}, std::numeric_limits<float>::infinity());
    }
    auto [value, index] = d2.min(1);
    auto better = value < best;
    best = torch::where(better, value, best);
    best_index = torch::where(better, index + start, best_index);
  }
  return (queries - references.index_select(0, best_index)).pow(2).sum(1).sqrt();
}

class CopiesMetric : public Metric {
 public:
  explicit CopiesMetric(MetricContext context) : context_(std::move(context)) {}

  nlohmann::json evaluate(const torch::Tensor& fake, const torch::Tensor& /*labels*/) override {
    if (!train_.defined()) load_training_images();
    if (train_.size(1) != fake[0].numel())
      throw UserError("copies: generated images are " + c10::str(fake.sizes().slice(1)) +
                      " but the training images are not the same size");
    auto generated = flat(fake.slice(0, 0, std::min(kMaxQueries, fake.size(0))));
    auto to_train = nearest_distance(generated, train_, {});
    const double threshold = torch::quantile(train_to_train_.to(torch::kFloat64), kQuantile).item<double>();
    return {{"copies_share", (to_train <= threshold).to(torch::kFloat64).mean().item<double>()},
            {"copies_nn_generated", to_train.median().item<double>()},
            {"copies_nn_train", train_to_train_.median().item<double>()},
            {"copies_threshold", threshold}};
  }

 private:
  void load_training_images() {
    const ImageDataset dataset = training_images(context_, context_.train_max_images, /*quiet=*/true);
    if (dataset.size() < 2) throw UserError("copies: needs at least 2 training images");
    train_ = flat(dataset.images.permute({0, 3, 1, 2}).contiguous());
    auto rng = at::detail::createCPUGenerator(context_.seed + 3);
    auto sample = torch::randperm(dataset.size(), rng, torch::kLong).slice(0, 0, kMaxQueries);
    train_to_train_ = nearest_distance(train_.index_select(0, sample), train_, sample);
  }

  MetricContext context_;
  torch::Tensor train_;           // every training image, flattened
  torch::Tensor train_to_train_;  // nearest-other-training-image distances of a sample
};

}  // namespace

std::unique_ptr<Metric> make_copies_metric(const MetricContext& context) {
  return std::make_unique<CopiesMetric>(context);
}

}  // namespace wgan
