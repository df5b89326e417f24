#include "wgan/io/image_grid.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace wgan {
namespace {

TEST(MakeGrid, LayoutMatchesMakeGrid) {
  // 3 images of 2x2 in 2 columns, padding 1: (2 rows * 3 + 1) x (2 cols * 3 + 1).
  auto images = torch::stack({torch::full({1, 2, 2}, -1.0), torch::full({1, 2, 2}, 1.0), torch::full({1, 2, 2}, 0.0)});
  GridOptions o;
  o.nrow = 2;
  auto grid = make_grid(images, o);
  ASSERT_EQ(grid.sizes(), torch::IntArrayRef({7, 7, 1}));
  EXPECT_EQ(grid[0][0][0].item<int>(), 128);  // pad value 0.5
  EXPECT_EQ(grid[1][1][0].item<int>(), 0);    // image 0 at (1, 1)
  EXPECT_EQ(grid[1][4][0].item<int>(), 255);  // image 1 at (1, 4)
  EXPECT_EQ(grid[4][1][0].item<int>(), 128);  // image 2 (value 0 -> 127.5 -> 128) at (4, 1)
  EXPECT_EQ(grid[4][4][0].item<int>(), 128);  // the empty cell is padding
  EXPECT_EQ(grid[3][1][0].item<int>(), 128);  // the gap between rows
}

TEST(MakeGrid, PngRoundTripKeepsPixels) {
  if (!WGAN_HAVE_OPENCV) GTEST_SKIP() << "built without OpenCV: no PNG decoder to check against";
  auto images = torch::rand({5, 3, 8, 8}) * 2 - 1;
  auto grid = make_grid(images);
  const auto path = (std::filesystem::temp_directory_path() / "wgan_grid_test.png").string();
  write_png(path, grid);
  auto back = read_image(path);
  EXPECT_TRUE(torch::equal(back, grid));
  std::filesystem::remove(path);
}

TEST(MakeGrid, PngHeaderDeclaresTheSize) {
  auto png = encode_png(torch::zeros({5, 7, 3}, torch::kUInt8));
  ASSERT_GT(png.size(), 33u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(static_cast<unsigned char>(png[19]), 7u);  // width, big-endian
  EXPECT_EQ(static_cast<unsigned char>(png[23]), 5u);  // height
  EXPECT_EQ(static_cast<unsigned char>(png[25]), 2u);  // colour type RGB
}

}  // namespace
}  // namespace wgan
