// Decoding one image file into the training format: sniff the format and declared size from the
// header (so decompression bombs are refused before decoding), decode with OpenCV, convert
// gray / gray+alpha / RGBA / 16-bit / CMYK to the target channel count, crop and resize.
// Every failure is a reason string, never an exception or a crash.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace wgan {

struct FitOptions {
  int64_t resolution = 64;          // output side
  int64_t channels = 3;             // 1 (gray) or 3 (RGB)
  std::string crop = "center";      // center (largest centred square), none (squash), box (crop_w x crop_h centred)
  int64_t crop_w = 0;               // box width (crop = box)
  int64_t crop_h = 0;               // box height (crop = box)
  int64_t min_side = 8;             // smaller images are skipped
  int64_t max_pixels = 100000000;   // declared width * height above this is skipped (decompression bomb)
  bool reduced_decode = true;       // JPEG: decode at 1/2, 1/4, 1/8 when the crop stays >= 2x the target
};

// What the header says: the format (png, jpeg, bmp, webp, tiff) and size when it could be read.
struct ImageHeader {
  std::string format;  // empty when the signature is unknown
  int64_t width = 0;
  int64_t height = 0;
};
ImageHeader sniff_header(const std::string& bytes);

// Result of fitting one file: `pixels` is resolution x resolution x channels uint8 (RGB order)
// when `reason` is empty; otherwise `reason` says why the file was skipped.
struct FitResult {
  torch::Tensor pixels;
  std::string reason;
  bool ok() const { return reason.empty(); }
};
FitResult decode_and_fit(const std::string& bytes, const FitOptions& options);

// True for the file name extensions prepare looks at (jpg, jpeg, png, bmp, webp, tif, tiff).
bool has_image_extension(const std::string& path);

}  // namespace wgan
