// `swd`: ProGAN's sliced Wasserstein distance against as many real images as were generated.
#include "wgan/metrics/metric.h"
#include "wgan/metrics/swd.h"
#include "wgan/util/error.h"

namespace wgan {
namespace {

class SwdMetric : public Metric {
 public:
  explicit SwdMetric(MetricContext context) : context_(std::move(context)) {}

  nlohmann::json evaluate(const torch::Tensor& fake, const torch::Tensor& /*labels*/) override {
    if (!real_.defined() || real_.size(0) < fake.size(0)) real_ = reference_images(context_, fake.size(0));
    const int64_t n = std::min(real_.size(0), fake.size(0));
    auto real = real_.slice(0, 0, n);
    if (real.sizes().slice(1) != fake.sizes().slice(1))
      throw UserError("swd: generated images are " + c10::str(fake.sizes().slice(1)) + " but the real ones are " +
                      c10::str(real.sizes().slice(1)));
    SwdOptions options;
    options.seed = context_.seed;
    auto result = sliced_wasserstein_distance(real, fake.slice(0, 0, n), options);
    nlohmann::json out;
    for (size_t i = 0; i < result.resolutions.size(); ++i)
      out["swd_" + std::to_string(result.resolutions[i])] = result.per_level[i];
    out["swd_avg"] = result.average;
    return out;
  }

 private:
  MetricContext context_;
  torch::Tensor real_;
};

}  // namespace

std::unique_ptr<Metric> make_swd_metric(const MetricContext& context) { return std::make_unique<SwdMetric>(context); }

}  // namespace wgan
