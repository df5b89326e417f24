#include "wgan/metrics/frechet.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "wgan/util/error.h"
#include "wgan/util/stop_request.h"

namespace wgan {

FeatureStatistics::FeatureStatistics(int64_t dim)
    : dim_(dim), sum_(torch::zeros({dim}, torch::kFloat64)), sum_outer_(torch::zeros({dim, dim}, torch::kFloat64)) {}

void FeatureStatistics::add(const torch::Tensor& rows) {
  if (rows.dim() != 2 || rows.size(1) != dim_)
    throw std::invalid_argument("FeatureStatistics: expected N x " + std::to_string(dim_) + " rows, got " +
                                c10::str(rows.sizes()));
  auto x = rows.detach().to(torch::kCPU, torch::kFloat64);
  sum_ += x.sum(0);
  sum_outer_.addmm_(x.t(), x);
  count_ += x.size(0);
}

torch::Tensor FeatureStatistics::mean() const {
  if (count_ < 1) throw std::logic_error("FeatureStatistics: no rows");
  return sum_ / static_cast<double>(count_);
}

torch::Tensor FeatureStatistics::covariance() const {
  if (count_ < 2) throw UserError("feature statistics need at least 2 images, got " + std::to_string(count_));
  auto mu = mean();
  auto n = static_cast<double>(count_);
  auto cov = (sum_outer_ - n * torch::outer(mu, mu)) / (n - 1.0);
  return (cov + cov.t()) * 0.5;
}

namespace {
torch::Tensor symmetric(const torch::Tensor& m) { return (m + m.t()) * 0.5; }
}  // namespace

double trace_sqrt_product(const torch::Tensor& s1, const torch::Tensor& s2) {
  auto a = symmetric(s1.to(torch::kFloat64));
  auto b = symmetric(s2.to(torch::kFloat64));
  auto [eigenvalues, eigenvectors] = torch::linalg_eigh(a, "L");
  auto root = torch::matmul(eigenvectors * eigenvalues.clamp_min(0).sqrt(), eigenvectors.t());
  auto m = symmetric(torch::matmul(torch::matmul(root, b), root));
  return torch::linalg_eigvalsh(m, "L").clamp_min(0).sqrt().sum().item<double>();
}

double frechet_distance(const torch::Tensor& mu1, const torch::Tensor& s1, const torch::Tensor& mu2,
                        const torch::Tensor& s2) {
  auto diff = (mu1.to(torch::kFloat64) - mu2.to(torch::kFloat64));
  double value = diff.dot(diff).item<double>() + s1.to(torch::kFloat64).trace().item<double>() +
                 s2.to(torch::kFloat64).trace().item<double>() - 2.0 * trace_sqrt_product(s1, s2);
  return value;
}

double frechet_distance(const FeatureStatistics& a, const FeatureStatistics& b) {
  return frechet_distance(a.mean(), a.covariance(), b.mean(), b.covariance());
}

KernelDistance kernel_distance(const torch::Tensor& features_a, const torch::Tensor& features_b, int64_t subsets,
                               int64_t subset_size, uint64_t seed) {
  if (features_a.dim() != 2 || features_b.dim() != 2 || features_a.size(1) != features_b.size(1))
    throw std::invalid_argument("kernel_distance: feature sets must be N x D with the same D");
  auto x_all = features_a.detach().to(torch::kCPU, torch::kFloat64);
  auto y_all = features_b.detach().to(torch::kCPU, torch::kFloat64);
  const int64_t m = std::min({subset_size, x_all.size(0), y_all.size(0)});
  if (m < 2) throw UserError("KID needs at least 2 images per set");
  const double d = static_cast<double>(x_all.size(1));
  auto rng = at::detail::createCPUGenerator(seed);
  auto kernel = [d](const torch::Tensor& p, const torch::Tensor& q) {
    return (torch::matmul(p, q.t()) / d + 1.0).pow(3);
  };
  std::vector<double> values;
  for (int64_t s = 0; s < subsets; ++s) {
    abandon_if_stopped();
    auto x = x_all.index_select(0, torch::randperm(x_all.size(0), rng, torch::kLong).slice(0, 0, m));
    auto y = y_all.index_select(0, torch::randperm(y_all.size(0), rng, torch::kLong).slice(0, 0, m));
    auto kxx = kernel(x, x), kyy = kernel(y, y), kxy = kernel(x, y);
    double same = (kxx.sum() - kxx.diagonal().sum() + kyy.sum() - kyy.diagonal().sum()).item<double>();
    double cross = kxy.sum().item<double>();
    values.push_back(same / (m * (m - 1.0)) - 2.0 * cross / (static_cast<double>(m) * m));
  }
  KernelDistance result;
  for (double v : values) result.mean += v;
  result.mean /= values.size();
  for (double v : values) result.std += (v - result.mean) * (v - result.mean);
  result.std = std::sqrt(result.std / values.size());
  return result;
}

}  // namespace wgan
