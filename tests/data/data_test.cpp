#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "wgan/data/batcher.h"
#include "wgan/data/fashion_mnist.h"
#include "wgan/util/error.h"

namespace wgan {
namespace {

std::string idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::string s = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((d >> shift) & 0xff));
  }
  s.append(data.begin(), data.end());
  return s;
}

TEST(Idx, ParsesShapeAndData) {
  auto t = parse_idx(idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6}), "test");
  ASSERT_EQ(t.sizes(), torch::IntArrayRef({2, 3}));
  EXPECT_EQ(t[1][2].item<int>(), 6);
}

TEST(Idx, TruncatedAndForeignDataAreUserErrors) {
  EXPECT_THROW(parse_idx(idx_bytes({2, 3}, {1, 2, 3}), "short"), UserError);
  EXPECT_THROW(parse_idx("\x89PNG....", "png"), UserError);
  EXPECT_THROW(parse_idx("", "empty"), UserError);
}

TEST(FashionMnist, MissingDirectoryNamesThePackage) {
  try {
    load_fashion_mnist("/nonexistent-dir", FashionMnistSplit::kTrain);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("dataset-fashion-mnist"), std::string::npos) << e.what();
  }
}

TEST(FashionMnist, LoadsPaddedTo32) {
  if (!std::filesystem::exists(kFashionMnistDefaultDir)) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  auto ds = load_fashion_mnist(kFashionMnistDefaultDir, FashionMnistSplit::kTest, 100);
  ASSERT_EQ(ds.images.sizes(), torch::IntArrayRef({100, 32, 32, 1}));
  // The 2-pixel border is black padding; the centre holds the garment.
  EXPECT_EQ(ds.images.narrow(1, 0, 2).max().item<int>(), 0);
  EXPECT_EQ(ds.images.narrow(2, 30, 2).max().item<int>(), 0);
  EXPECT_GT(ds.images.to(torch::kFloat).mean().item<double>(), 20.0);
  auto labels = load_fashion_mnist_labels(kFashionMnistDefaultDir, FashionMnistSplit::kTest);
  EXPECT_EQ(labels.size(0), 10000);
  EXPECT_EQ(labels.max().item<int64_t>(), 9);
}

TEST(Dataset, SignedUnitRoundTrip) {
  auto pixels = torch::tensor({0, 1, 127, 128, 255}, torch::kUInt8);
  auto unit = to_signed_unit(pixels);
  EXPECT_NEAR(unit[0].item<double>(), -1.0, 1e-6);
  EXPECT_NEAR(unit[4].item<double>(), 1.0, 1e-6);
  EXPECT_TRUE(torch::equal(to_uint8(unit), pixels));
}

ImageDataset numbered_dataset(int64_t n) {
  return ImageDataset{torch::arange(n, torch::kUInt8).view({n, 1, 1, 1}).expand({n, 2, 2, 1}).contiguous(), "numbers"};
}

TEST(EpochBatcher, EachEpochVisitsEveryImageOnceAndDropsTheRemainder) {
  auto ds = numbered_dataset(10);
  EpochBatcher batcher(ds, 3, 42);
  EXPECT_EQ(batcher.batches_per_epoch(), 3);  // 10 / 3, the last partial batch dropped
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::set<int64_t> seen;
    for (int b = 0; b < 3; ++b) {
      auto idx = batcher.batch_indices(epoch * 3 + b);
      for (int i = 0; i < 3; ++i) seen.insert(idx[i].item<int64_t>());
    }
    EXPECT_EQ(seen.size(), 9u);
  }
}

TEST(EpochBatcher, OrderIsShuffledPerEpochAndReproducible) {
  auto ds = numbered_dataset(64);
  EpochBatcher a(ds, 64, 7), b(ds, 64, 7), c(ds, 64, 8);
  auto first = a.batch_indices(0);
  EXPECT_FALSE(torch::equal(first, torch::arange(64)));        // shuffled
  EXPECT_FALSE(torch::equal(first, a.batch_indices(1)));       // a new order each epoch
  EXPECT_TRUE(torch::equal(b.batch_indices(1), a.batch_indices(1)));  // random access, same order
  EXPECT_FALSE(torch::equal(c.batch_indices(0), first));       // seed matters
  EXPECT_TRUE(torch::equal(a.batch(0).select(1, 0).select(1, 0).select(1, 0).to(torch::kInt64), first));
}

TEST(EpochBatcher, XflipMirrorsAboutHalfAndIsReproducible) {
  // Each image is a left-to-right ramp, so a mirrored one starts bright.
  const int64_t n = 256;
  auto ramp = torch::arange(4, torch::kUInt8).view({1, 1, 4, 1}).expand({n, 4, 4, 1}).contiguous();
  ImageDataset ds{ramp, "ramps"};
  EpochBatcher flipping(ds, n, 3, true), again(ds, n, 3, true), plain(ds, n, 3, false);
  auto batch = flipping.batch(0);  // B x 1 x 4 x 4
  ASSERT_EQ(batch.sizes(), torch::IntArrayRef({n, 1, 4, 4}));
  const double mirrored = (batch.select(3, 0) == 3).all(2).to(torch::kFloat).mean().item<double>();
  EXPECT_NEAR(mirrored, 0.5, 0.12);
  EXPECT_TRUE(torch::equal(batch, again.batch(0)));
  EXPECT_EQ(plain.batch(0).select(3, 0).max().item<int>(), 0);
}

TEST(EpochBatcher, RejectsBadBatchSizes) {
  auto ds = numbered_dataset(4);
  EXPECT_THROW(EpochBatcher(ds, 0, 1), UserError);
  EXPECT_THROW(EpochBatcher(ds, 5, 1), UserError);
}

}  // namespace
}  // namespace wgan
