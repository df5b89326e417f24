// Fréchet distance and KID: known answers, and scipy/numpy on the same features.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "wgan/metrics/frechet.h"

namespace fs = std::filesystem;
using namespace wgan;

namespace {

// A random rotation (orthonormal columns from QR).
torch::Tensor random_rotation(int64_t d, uint64_t seed) {
  torch::manual_seed(seed);
  return std::get<0>(torch::linalg::qr(torch::randn({d, d}, torch::kFloat64), "reduced"));
}

}  // namespace

TEST(Frechet, KnownAnswerForCommutingCovariances) {
  // S1 = R diag(a) R^T, S2 = R diag(b) R^T commute, so tr sqrt(S1 S2) = sum sqrt(a b) and the
  // distance is |mu1 - mu2|^2 + sum (sqrt a - sqrt b)^2.
  const int64_t d = 16;
  auto r = random_rotation(d, 3);
  auto a = torch::linspace(0.1, 4.0, d, torch::kFloat64);
  auto b = torch::linspace(2.0, 0.5, d, torch::kFloat64);
  auto s1 = torch::matmul(r * a, r.t());
  auto s2 = torch::matmul(r * b, r.t());
  auto mu1 = torch::zeros({d}, torch::kFloat64);
  auto mu2 = torch::full({d}, 0.25, torch::kFloat64);
  const double expected = mu2.dot(mu2).item<double>() + (a.sqrt() - b.sqrt()).square().sum().item<double>();
  EXPECT_NEAR(frechet_distance(mu1, s1, mu2, s2), expected, 1e-9 * expected);
  EXPECT_NEAR(trace_sqrt_product(s1, s2), (a * b).sqrt().sum().item<double>(), 1e-9);
  EXPECT_NEAR(frechet_distance(mu1, s1, mu1, s1), 0.0, 1e-9);
}

TEST(Frechet, SampleStatisticsConvergeToTheGaussiansDistance) {
  // Two 3-D Gaussians with known means and (non-commuting) covariances: the distance from
  // 200,000 samples each matches the exact value computed from the true parameters.
  torch::manual_seed(7);
  auto l1 = torch::tensor({{1.0, 0.0, 0.0}, {0.5, 1.0, 0.0}, {0.2, -0.3, 0.7}}, torch::kFloat64);
  auto l2 = torch::tensor({{0.6, 0.0, 0.0}, {-0.4, 1.2, 0.0}, {0.0, 0.3, 0.9}}, torch::kFloat64);
  auto mu1 = torch::tensor({0.0, 1.0, -1.0}, torch::kFloat64);
  auto mu2 = torch::tensor({0.5, 0.5, 0.0}, torch::kFloat64);
  FeatureStatistics a(3), b(3);
  for (int i = 0; i < 20; ++i) {
    a.add(torch::matmul(torch::randn({10000, 3}, torch::kFloat64), l1.t()) + mu1);
    b.add(torch::matmul(torch::randn({10000, 3}, torch::kFloat64), l2.t()) + mu2);
  }
  const double exact = frechet_distance(mu1, torch::matmul(l1, l1.t()), mu2, torch::matmul(l2, l2.t()));
  EXPECT_NEAR(frechet_distance(a, b), exact, 0.02 * exact);
  EXPECT_EQ(a.count(), 200000);
}

TEST(Frechet, KidIsNearZeroForOneDistributionAndPositiveForTwo) {
  torch::manual_seed(11);
  auto x = torch::randn({2000, 8}, torch::kFloat64);
  auto y = torch::randn({2000, 8}, torch::kFloat64);
  auto shifted = torch::randn({2000, 8}, torch::kFloat64) + 0.5;
  auto same = kernel_distance(x, y, 20, 500, 1);
  auto different = kernel_distance(x, shifted, 20, 500, 1);
  EXPECT_NEAR(same.mean, 0.0, 0.01);
  EXPECT_GT(different.mean, 10 * std::abs(same.mean) + 0.05);
}

// The same statistics through scipy.linalg.sqrtm (pytorch-fid's formula) and KID through
// numpy with the whole sets as one subset.
TEST(Frechet, MatchesScipyOnTheSameFeatures) {
  if (std::system("/usr/bin/python3 -c 'import scipy, numpy' 2>/dev/null") != 0)
    GTEST_SKIP() << "python3-scipy / python3-numpy not installed";
  const fs::path dir = fs::temp_directory_path() / ("wgan_frechet_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  torch::manual_seed(5);
  auto x = torch::randn({600, 24}, torch::kFloat64) * torch::linspace(0.2, 2.0, 24, torch::kFloat64);
  auto y = torch::matmul(torch::randn({500, 24}, torch::kFloat64), torch::randn({24, 24}, torch::kFloat64) * 0.3) + 0.2;
  auto write = [&](const std::string& name, const torch::Tensor& t) {
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(t.contiguous().data_ptr<double>()), t.numel() * sizeof(double));
  };
  write("x.f64", x);
  write("y.f64", y);
  {
    std::ofstream py(dir / "check.py");
    py << "import sys, numpy as np, scipy.linalg as la\n"
          "d = sys.argv[1]\n"
          "x = np.fromfile(d + '/x.f64').reshape(600, 24); y = np.fromfile(d + '/y.f64').reshape(500, 24)\n"
          "m1, m2 = x.mean(0), y.mean(0); s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)\n"
          "c = la.sqrtm(s1.dot(s2)).real\n"
          "fd = ((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(c)\n"
          "m = 500; xs = x[:m]\n"
          "k = lambda a, b: (a @ b.T / 24 + 1) ** 3\n"
          "# KID over the whole sets; order does not matter, so any permutation gives this value\n"
          "def kid(a, b):\n"
          "    n, p = len(a), len(b)\n"
          "    kaa, kbb, kab = k(a, a), k(b, b), k(a, b)\n"
          "    return (kaa.sum() - np.trace(kaa)) / (n * (n - 1)) + (kbb.sum() - np.trace(kbb)) / (p * (p - 1)) - 2 * "
          "kab.sum() / (n * p)\n"
          "print(repr(fd), repr(kid(x[:500], y)))\n";
  }
  const std::string cmd = "/usr/bin/python3 " + (dir / "check.py").string() + " " + dir.string();
  FILE* pipe = ::popen(cmd.c_str(), "r");
  double scipy_fd = 0, numpy_kid = 0;
  ASSERT_EQ(std::fscanf(pipe, "%lf %lf", &scipy_fd, &numpy_kid), 2);
  ::pclose(pipe);
  fs::remove_all(dir);

  FeatureStatistics a(24), b(24);
  a.add(x);
  b.add(y);
  EXPECT_NEAR(frechet_distance(a, b), scipy_fd, 1e-7 * std::abs(scipy_fd));
  // One subset of 500: the first 500 rows of x (in some order) against all of y.
  auto kid = kernel_distance(x.slice(0, 0, 500), y, 1, 500, 0);
  EXPECT_NEAR(kid.mean, numpy_kid, 1e-9 * std::abs(numpy_kid) + 1e-12);
  EXPECT_NEAR(kid.std, 0.0, 1e-15);
}
