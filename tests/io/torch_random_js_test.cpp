// web/torch_random.js (the web page's latent vectors) draws what LibTorch's torch::randn draws from a
// seeded CPU generator, so that a seed means the same images in the browser as in `wgan sample`:
// both of randn's paths (16 values and more, in blocks with a redrawn tail; fewer, one at a time).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../support/run_cli.h"

namespace wgan {
namespace {

TEST(TorchRandomJs, DrawsWhatLibTorchRandnDraws) {
  if (test_support::run_shell("node --version").code != 0) GTEST_SKIP() << "node not installed (apt-get install nodejs)";
  const std::vector<std::pair<uint64_t, int64_t>> draws = {{0, 6400}, {7, 100}, {123456789, 37}, {3, 16},
                                                           {11, 15},  {5, 1},   {(1ULL << 40) + 5, 8}};
  std::string calls;
  for (const auto& [seed, count] : draws)
    calls += (calls.empty() ? "" : ",") + std::string("Array.from(r.randn(") + std::to_string(seed) + "n," +
             std::to_string(count) + "))";
  const auto ran = test_support::run_shell("node -e \"const r = require('" + std::string(WGAN_SOURCE_DIR) +
                                           "/web/torch_random.js'); console.log(JSON.stringify([" + calls + "]))\"");
  ASSERT_EQ(ran.code, 0) << ran.output;
  const auto drawn = nlohmann::json::parse(ran.output);
  ASSERT_EQ(drawn.size(), draws.size());
  for (size_t i = 0; i < draws.size(); ++i) {
    const auto [seed, count] = draws[i];
    auto rng = at::detail::createCPUGenerator(seed);
    const auto expected = torch::randn({count}, rng, torch::TensorOptions().dtype(torch::kFloat32));
    const auto got = torch::tensor(drawn[i].get<std::vector<float>>());
    ASSERT_EQ(got.numel(), count);
    // Float32 Box-Muller in LibTorch (vectorised), double in JavaScript: equal to a few ulp.
    EXPECT_NEAR((got - expected).abs().max().item<double>(), 0.0, 1e-5) << "seed " << seed << ", " << count << " values";
  }
}

}  // namespace
}  // namespace wgan
