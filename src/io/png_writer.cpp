// A small PNG encoder on zlib, so writing sample grids needs no image library (the GPU build
// machine has no OpenCV). 8-bit gray or RGB, no interlace, filter type 0 on every row.
#include <zlib.h>

#include <string>

#include "wgan/io/image_grid.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace wgan {
namespace {

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_chunk(std::string& out, const char* type, const std::string& data) {
  put_be32(out, static_cast<uint32_t>(data.size()));
  const std::string typed = std::string(type, 4) + data;
  out += typed;
  put_be32(out, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(typed.data()), typed.size())));
}

}  // namespace

std::string encode_png(const torch::Tensor& hwc_uint8) {
  auto t = hwc_uint8.contiguous().cpu();
  TORCH_CHECK(t.dim() == 3 && t.scalar_type() == torch::kUInt8, "encode_png expects H x W x C uint8");
  const auto height = static_cast<uint32_t>(t.size(0)), width = static_cast<uint32_t>(t.size(1));
  const auto channels = static_cast<uint32_t>(t.size(2));
  TORCH_CHECK(channels == 1 || channels == 3, "encode_png supports 1 or 3 channels");

  std::string header;
  put_be32(header, width);
  put_be32(header, height);
  header += std::string{8, static_cast<char>(channels == 3 ? 2 : 0), 0, 0, 0};  // depth, colour type, methods

  const size_t row = static_cast<size_t>(width) * channels;
  std::string raw;
  raw.reserve((row + 1) * height);
  const auto* pixels = reinterpret_cast<const char*>(t.data_ptr<uint8_t>());
  for (uint32_t y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    raw.append(pixels + y * row, row);
  }
  uLongf packed_size = compressBound(raw.size());
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(&packed[0]), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
                raw.size(), 6) != Z_OK) {
    throw UserError("PNG compression failed");
  }
  packed.resize(packed_size);

  std::string png = "\x89PNG\r\n\x1a\n";
  put_chunk(png, "IHDR", header);
  put_chunk(png, "IDAT", packed);
  put_chunk(png, "IEND", "");
  return png;
}

void write_png(const std::string& path, const torch::Tensor& hwc_uint8) {
  write_file_atomic(path, encode_png(hwc_uint8));
}

}  // namespace wgan
