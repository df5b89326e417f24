// `fd-fmnist`: the Fréchet distance in the penultimate features of the project's Fashion-MNIST
// classifier between the generated images and the 10,000 test images, the same distance
// between 10,000 training images and the test images (the floor a perfect generator reaches
// with as many samples), and how the generated images spread over the 10 classes.
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

  nlohmann::json evaluate(const torch::Tensor& fake) override {
    if (fake.size(1) != 1 || fake.size(2) != 32 || fake.size(3) != 32)
      throw UserError("fd-fmnist needs Fashion-MNIST images (1 x 32 x 32); this generator makes " +
                      c10::str(fake.sizes().slice(1)));
    if (!test_stats_) compute_real_statistics();
    FeatureStatistics fake_stats(FashionClassifierImpl::kFeatureDim);
    auto counts = torch::zeros({FashionClassifierImpl::kClasses}, torch::kFloat64);
    {
      torch::NoGradGuard no_grad;
      for_each_batch(fake, 500, [&](const torch::Tensor& x) {
        auto features = net_->features(x.to(context_.device));
        fake_stats.add(features);
        auto predicted = net_->logits(features).argmax(1).cpu();
        counts += torch::bincount(predicted, {}, FashionClassifierImpl::kClasses).to(torch::kFloat64);
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
    return out;
  }

 private:
  FeatureStatistics statistics_of(const torch::Tensor& images) {
    FeatureStatistics stats(FashionClassifierImpl::kFeatureDim);
    torch::NoGradGuard no_grad;
    for_each_batch(images, 500, [&](const torch::Tensor& x) { stats.add(net_->features(x.to(context_.device))); });
    return stats;
  }

  void compute_real_statistics() {
    auto test = load_fashion_mnist(context_.data_dir, FashionMnistSplit::kTest);
    test_stats_ = std::make_unique<FeatureStatistics>(statistics_of(test.images.permute({0, 3, 1, 2}).contiguous()));
    auto train = load_fashion_mnist(context_.data_dir, FashionMnistSplit::kTrain, test.size());
    floor_ = frechet_distance(statistics_of(train.images.permute({0, 3, 1, 2}).contiguous()), *test_stats_);
  }

  MetricContext context_;
  FashionClassifier net_;
  std::unique_ptr<FeatureStatistics> test_stats_;
  double floor_ = 0;
};

}  // namespace

std::unique_ptr<Metric> make_fd_fmnist_metric(const MetricContext& context) {
  return std::make_unique<FdFashionMetric>(context);
}

}  // namespace wgan
