// `fd-fmnist`: the Fréchet distance in the penultimate features of the project's Fashion-MNIST
// classifier between the generated images and the 10,000 test images, the same distance
// between 10,000 training images and the test images (the floor a perfect generator reaches
// with as many samples), and how the generated images spread over the 10 classes. For a
// conditional generator also class_match (the share of images the classifier puts in the class
// they were generated as, overall and per class) and the distance per class against that class's
// test images.
#include <cmath>

#include "wgan/data/fashion_mnist.h"
#include "wgan/metrics/fashion_classifier.h"
#include "wgan/metrics/frechet.h"
#include "wgan/metrics/metric.h"
#include "wgan/util/error.h"

namespace wgan {
namespace {

class FdFashionMetric : public Metric {
 public:
  explicit FdFashionMetric(const MetricContext& context)
      : context_(context),
        net_(load_fashion_classifier(context.classifier.empty() ? default_classifier_path() : context.classifier,
                                     context.device)) {}

  nlohmann::json evaluate(const torch::Tensor& fake, const torch::Tensor& labels) override {
    if (fake.size(1) != 1 || fake.size(2) != 32 || fake.size(3) != 32)
      throw UserError("fd-fmnist needs Fashion-MNIST images (1 x 32 x 32); this generator makes " +
                      c10::str(fake.sizes().slice(1)));
    if (!test_stats_) compute_real_statistics();
    FeatureStatistics fake_stats(FashionClassifierImpl::kFeatureDim);
    auto counts = torch::zeros({FashionClassifierImpl::kClasses}, torch::kFloat64);
    std::vector<torch::Tensor> all_features, all_predicted;
    {
      torch::NoGradGuard no_grad;
      for_each_batch(fake, 500, [&](const torch::Tensor& x) {
        auto features = net_->features(x.to(context_.device));
        fake_stats.add(features);
        auto predicted = net_->logits(features).argmax(1).cpu();
        counts += torch::bincount(predicted, {}, FashionClassifierImpl::kClasses).to(torch::kFloat64);
        if (labels.defined()) {
          all_features.push_back(features.cpu());
          all_predicted.push_back(predicted);
        }
      });
    }
    auto share = counts / counts.sum();
    const double k = FashionClassifierImpl::kClasses;
    auto kl = torch::where(share > 0, share * (share * k).log(), torch::zeros_like(share)).sum().item<double>();
    nlohmann::json out;
    out["fd_fmnist"] = frechet_distance(fake_stats, *test_stats_);
    out["fd_fmnist_floor"] = floor_;
    out["fd_fmnist_class_kl"] = kl;
    // A class counts as covered when it holds at least a quarter of its uniform share (2.5%).
    out["fd_fmnist_classes_covered"] = (share >= 0.25 / k).sum().item<int64_t>();
    out["fd_fmnist_min_class_share"] = share.min().item<double>();
    if (labels.defined()) add_class_figures(out, torch::cat(all_features), torch::cat(all_predicted), labels.cpu());
    return out;
  }

 private:
  FeatureStatistics statistics_of(const torch::Tensor& images) {
    FeatureStatistics stats(FashionClassifierImpl::kFeatureDim);
    torch::NoGradGuard no_grad;
    for_each_batch(images, 500, [&](const torch::Tensor& x) { stats.add(net_->features(x.to(context_.device))); });
    return stats;
  }

  // class_match overall / per class / worst, the Fréchet distance of each class's images against that
  // class's test images, and (for reading class_match) the classifier's own accuracy per class on
  // the test images: a generator cannot be expected to beat it by much.
  void add_class_figures(nlohmann::json& out, const torch::Tensor& features, const torch::Tensor& predicted,
                         const torch::Tensor& labels) {
    if (labels.size(0) != predicted.size(0) || (labels.numel() > 0 && labels.max().item<int64_t>() >= 10))
      throw UserError("fd-fmnist: class_match needs Fashion-MNIST's 10 classes; this generator's labels do not fit");
    const auto& names = fashion_mnist_class_names();
    nlohmann::json match = nlohmann::json::object(), distance = nlohmann::json::object(),
                   test_accuracy = nlohmann::json::object();
    double worst = 1, distance_sum = 0;
    int64_t classes_seen = 0;
    for (int64_t k = 0; k < FashionClassifierImpl::kClasses; ++k) {
      const auto mine = (labels == k).nonzero().view({-1});
      const auto& name = names[static_cast<size_t>(k)];
      test_accuracy[name] = test_class_accuracy_[static_cast<size_t>(k)];
      if (mine.numel() < 2) continue;  // a class the generator was not asked for
      const double share = (predicted.index_select(0, mine) == k).to(torch::kFloat64).mean().item<double>();
      match[name] = share;
      worst = std::min(worst, share);
      FeatureStatistics stats(FashionClassifierImpl::kFeatureDim);
      stats.add(features.index_select(0, mine).to(context_.device));
      const double fd = frechet_distance(stats, *test_class_stats_[static_cast<size_t>(k)]);
      distance[name] = fd;
      distance_sum += fd;
      ++classes_seen;
    }
    out["fd_fmnist_class_match"] = (predicted == labels).to(torch::kFloat64).mean().item<double>();
    out["fd_fmnist_class_match_min"] = worst;
    out["fd_fmnist_class_match_per_class"] = match;
    out["fd_fmnist_per_class"] = distance;
    out["fd_fmnist_per_class_mean"] = classes_seen > 0 ? distance_sum / static_cast<double>(classes_seen) : 0.0;
    out["fd_fmnist_test_accuracy_per_class"] = test_accuracy;
  }

  void compute_real_statistics() {
    auto test = load_fashion_mnist(context_.data_dir, FashionMnistSplit::kTest);
    const auto test_images = test.images.permute({0, 3, 1, 2}).contiguous();
    test_stats_ = std::make_unique<FeatureStatistics>(statistics_of(test_images));
    const auto test_labels = load_fashion_mnist_labels(context_.data_dir, FashionMnistSplit::kTest);
    for (int64_t k = 0; k < FashionClassifierImpl::kClasses; ++k) {
      const auto rows = (test_labels == k).nonzero().view({-1});
      const auto images = test_images.index_select(0, rows);
      test_class_stats_.push_back(std::make_unique<FeatureStatistics>(statistics_of(images)));
      test_class_accuracy_.push_back(
          classifier_accuracy(net_, images, torch::full({rows.size(0)}, k, torch::kInt64)));
    }
    auto train = load_fashion_mnist(context_.data_dir, FashionMnistSplit::kTrain, test.size());
    floor_ = frechet_distance(statistics_of(train.images.permute({0, 3, 1, 2}).contiguous()), *test_stats_);
  }

  MetricContext context_;
  FashionClassifier net_;
  std::unique_ptr<FeatureStatistics> test_stats_;
  std::vector<std::unique_ptr<FeatureStatistics>> test_class_stats_;  // per class, the test images of it
  std::vector<double> test_class_accuracy_;                            // the classifier's, per class
  double floor_ = 0;
};

}  // namespace

std::unique_ptr<Metric> make_fd_fmnist_metric(const MetricContext& context) {
  return std::make_unique<FdFashionMetric>(context);
}

}  // namespace wgan
