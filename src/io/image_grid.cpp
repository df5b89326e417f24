#include "wgan/io/image_grid.h"

#if WGAN_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

#include "wgan/data/dataset.h"
#include "wgan/util/error.h"

namespace wgan {

torch::Tensor make_grid(const torch::Tensor& images, const GridOptions& o) {
  TORCH_CHECK(images.dim() == 4, "make_grid expects B x C x H x W");
  const int64_t count = images.size(0), channels = images.size(1), h = images.size(2), w = images.size(3);
  const int64_t cols = std::min(o.nrow, count);
  const int64_t rows = (count + o.nrow - 1) / o.nrow;
  const int64_t cell_h = h + o.padding, cell_w = w + o.padding;
  const auto pad = static_cast<uint8_t>(std::lround(std::clamp(o.pad_value, 0.0, 1.0) * 255.0));
  auto grid = torch::full({rows * cell_h + o.padding, cols * cell_w + o.padding, channels}, pad, torch::kUInt8);
  auto pixels = to_uint8(images.cpu()).permute({0, 2, 3, 1});  // B x H x W x C
  for (int64_t i = 0; i < count; ++i) {
    const int64_t y = (i / o.nrow) * cell_h + o.padding, x = (i % o.nrow) * cell_w + o.padding;
    grid.narrow(0, y, h).narrow(1, x, w).copy_(pixels[i]);
  }
  return grid;
}

torch::Tensor read_image(const std::string& path) {
#if !WGAN_HAVE_OPENCV
  throw UserError("cannot read " + path + ": this build has no OpenCV");
#else
  cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (image.empty()) throw UserError("cannot read image " + path);
  if (image.channels() == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  auto t = torch::from_blob(image.data, {image.rows, image.cols, image.channels()}, torch::kUInt8);
  return t.clone();
#endif
}

}  // namespace wgan
