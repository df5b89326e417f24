// `fid` and `kid` with an Inception network the user supplies as TorchScript, such as
// StyleGAN2-ADA's inception-2015-12-05.pt (called with return_features=True: 2048 features
// of 0..255 RGB input, resized inside the network). Features of the real and the generated
// images are computed once per set and shared by both metrics.
#include <torch/script.h>

#include <filesystem>

#include "wgan/metrics/frechet.h"
#include "wgan/metrics/metric.h"
#include "wgan/util/error.h"
#include "wgan/util/stop_request.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

constexpr const char* kHowToGetInception =
    "fid and kid need an Inception network as TorchScript: pass --inception FILE, for example "
    "inception-2015-12-05.pt from StyleGAN2-ADA's metrics (nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/"
    "pretrained/metrics/inception-2015-12-05.pt), downloaded on a machine with internet access";

class InceptionFeatures {
 public:
  InceptionFeatures(const MetricContext& context) : context_(context) {
    if (context.inception.empty()) throw UserError(kHowToGetInception);
    if (!fs::exists(context.inception)) throw UserError("--inception " + context.inception + ": no such file");
    try {
      module_ = torch::jit::load(context.inception, context.device);
    } catch (const c10::Error& e) {
      throw UserError("--inception " + context.inception + " is not a TorchScript file torch::jit::load reads (" +
                      std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    module_.eval();
  }

  // N x D float64 features of uint8 N x C x H x W images; gray is tiled to RGB.
  torch::Tensor of(const torch::Tensor& images_uint8) {
    if (last_input_.defined() && last_input_.is_same(images_uint8)) return last_features_;
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> parts;
    for (int64_t start = 0; start < images_uint8.size(0); start += 100) {
      abandon_if_stopped();
      auto x = images_uint8.slice(0, start, std::min(start + 100, images_uint8.size(0))).to(context_.device);
      x = x.to(torch::kFloat32);
      if (x.size(1) == 1) x = x.repeat({1, 3, 1, 1});
      torch::jit::IValue out;
      try {
        out = module_.forward({x}, {{"return_features", true}});
      } catch (const c10::Error&) {
        out = module_.forward({x});  // a network without the keyword returns its features directly
      }
      if (!out.isTensor()) throw UserError("--inception " + context_.inception + ": forward did not return a tensor");
      parts.push_back(out.toTensor().flatten(1).to(torch::kCPU, torch::kFloat64));
    }
    last_input_ = images_uint8;
    last_features_ = torch::cat(parts);
    return last_features_;
  }

  // Features of the real images (as many as `count`), computed once.
  torch::Tensor real(int64_t count) {
    if (!real_features_.defined() || real_features_.size(0) < count)
      real_features_ = of(reference_images(context_, count));
    return real_features_.slice(0, 0, count);
  }

 private:
  MetricContext context_;
  torch::jit::Module module_;
  torch::Tensor last_input_, last_features_, real_features_;
};

std::shared_ptr<InceptionFeatures> shared_inception(const MetricContext& context) {
  auto& slot = (*context.shared)["inception"];
  if (!slot) slot = std::make_shared<InceptionFeatures>(context);
  return std::static_pointer_cast<InceptionFeatures>(slot);
}

class FidMetric : public Metric {
 public:
  explicit FidMetric(const MetricContext& context) : inception_(shared_inception(context)) {}
  nlohmann::json evaluate(const torch::Tensor& fake, const torch::Tensor& /*labels*/) override {
    auto fake_features = inception_->of(fake);
    auto real_features = inception_->real(fake.size(0));
    FeatureStatistics a(real_features.size(1)), b(fake_features.size(1));
    a.add(real_features);
    b.add(fake_features);
    return {{"fid", frechet_distance(a, b)}};
  }

 private:
  std::shared_ptr<InceptionFeatures> inception_;
};

class KidMetric : public Metric {
 public:
  explicit KidMetric(const MetricContext& context) : inception_(shared_inception(context)), seed_(context.seed) {}
  nlohmann::json evaluate(const torch::Tensor& fake, const torch::Tensor& /*labels*/) override {
    auto kid = kernel_distance(inception_->real(fake.size(0)), inception_->of(fake), 100, 1000, seed_);
    return {{"kid", kid.mean}, {"kid_std", kid.std}};
  }

 private:
  std::shared_ptr<InceptionFeatures> inception_;
  uint64_t seed_;
};

}  // namespace

std::unique_ptr<Metric> make_fid_metric(const MetricContext& context) { return std::make_unique<FidMetric>(context); }
std::unique_ptr<Metric> make_kid_metric(const MetricContext& context) { return std::make_unique<KidMetric>(context); }

}  // namespace wgan
