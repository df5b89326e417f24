// Feature statistics and the two distances built on them: the Fréchet distance (FID's formula)
// and the kernel distance (KID). Everything is accumulated and solved in float64, because the
// difference of large traces loses most of its digits in float32.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace wgan {

// Running mean and covariance of D-dimensional feature rows, in float64.
class FeatureStatistics {
 public:
  explicit FeatureStatistics(int64_t dim);
  // rows: N x D (any float dtype, any device).
  void add(const torch::Tensor& rows);
  int64_t count() const { return count_; }
  int64_t dim() const { return dim_; }
  torch::Tensor mean() const;        // D, float64
  torch::Tensor covariance() const;  // D x D, float64, N - 1 normalisation, symmetric

 private:
  int64_t dim_;
  int64_t count_ = 0;
  torch::Tensor sum_;        // D
  torch::Tensor sum_outer_;  // D x D
};

// tr sqrt(S1 S2) for symmetric positive semi-definite S1, S2 through two symmetric
// eigendecompositions: S1 S2 has the eigenvalues of sqrt(S1) S2 sqrt(S1), which is symmetric.
double trace_sqrt_product(const torch::Tensor& s1, const torch::Tensor& s2);

// |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2).
double frechet_distance(const torch::Tensor& mu1, const torch::Tensor& s1, const torch::Tensor& mu2,
                        const torch::Tensor& s2);
double frechet_distance(const FeatureStatistics& a, const FeatureStatistics& b);

struct KernelDistance {
  double mean = 0;
  double std = 0;
};

// KID: the unbiased MMD^2 with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged
// over `subsets` random subsets of `subset_size` rows of each set (smaller when a set is
// smaller), drawn from `seed`.
KernelDistance kernel_distance(const torch::Tensor& features_a, const torch::Tensor& features_b, int64_t subsets = 100,
                               int64_t subset_size = 1000, uint64_t seed = 0);

}  // namespace wgan
