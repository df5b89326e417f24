#include "wgan/data/fashion_mnist.h"

#include <zlib.h>

#include <filesystem>

#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

uint32_t read_be32(const std::string& bytes, size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + offset;
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string split_prefix(FashionMnistSplit split) {
  return split == FashionMnistSplit::kTrain ? "train" : "t10k";
}

std::string find_file(const std::string& dir, const std::string& stem) {
  for (const std::string& candidate : {stem + ".gz", stem}) {
    const fs::path path = fs::path(dir) / candidate;
    if (fs::exists(path)) return path.string();
  }
  throw UserError("Fashion-MNIST file " + (fs::path(dir) / (stem + ".gz")).string() +
                  " not found: install it with `apt-get install dataset-fashion-mnist`, or pass "
                  "--data-dir DIR holding " + stem + ".gz");
}

}  // namespace

std::string read_gzip_file(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw UserError("cannot open " + path);
  std::string out;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  int err = 0;
  const char* message = gzerror(file, &err);
  const std::string reason = message ? message : "";
  gzclose(file);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) throw UserError("cannot decompress " + path + ": " + reason);
  return out;
}

torch::Tensor parse_idx(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0 || static_cast<unsigned char>(bytes[2]) != 0x08) {
    throw UserError(source + ": not an idx file of unsigned bytes");
  }
  const int dims = static_cast<unsigned char>(bytes[3]);
  if (dims < 1 || dims > 4 || bytes.size() < 4 + 4 * static_cast<size_t>(dims)) {
    throw UserError(source + ": bad idx header");
  }
  std::vector<int64_t> shape;
  int64_t count = 1;
  for (int d = 0; d < dims; ++d) {
    shape.push_back(read_be32(bytes, 4 + 4 * static_cast<size_t>(d)));
    count *= shape.back();
  }
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (bytes.size() - header < static_cast<size_t>(count)) {
    throw UserError(source + ": truncated (header declares " + std::to_string(count) + " bytes of data, file has " +
                    std::to_string(bytes.size() - header) + ")");
  }
  auto tensor = torch::empty(shape, torch::kUInt8);
  std::memcpy(tensor.data_ptr<uint8_t>(), bytes.data() + header, static_cast<size_t>(count));
  return tensor;
}

ImageDataset load_fashion_mnist(const std::string& dir, FashionMnistSplit split, int64_t max_images) {
  const std::string path = find_file(dir, split_prefix(split) + "-images-idx3-ubyte");
  auto raw = parse_idx(read_gzip_file(path), path);
  if (raw.dim() != 3 || raw.size(1) != 28 || raw.size(2) != 28) {
    throw UserError(path + ": expected N x 28 x 28 images");
  }
  if (max_images > 0 && max_images < raw.size(0)) raw = raw.narrow(0, 0, max_images);
  // 28x28 padded to 32x32 so that the networks' stride-2 pyramid divides evenly.
  auto padded = torch::constant_pad_nd(raw, {2, 2, 2, 2}, 0).unsqueeze(3).contiguous();
  ImageDataset dataset;
  dataset.images = padded;
  dataset.name = "fashion-mnist:" + path;
  // The classes come along when the labels file is there (Debian's package has both).
  const std::string stem = split_prefix(split) + "-labels-idx1-ubyte";
  if (fs::exists(fs::path(dir) / (stem + ".gz")) || fs::exists(fs::path(dir) / stem)) {
    auto labels = load_fashion_mnist_labels(dir, split);
    if (labels.size(0) < dataset.size())
      throw UserError(find_file(dir, stem) + " holds " + std::to_string(labels.size(0)) + " labels for " +
                      std::to_string(dataset.size()) + " images");
    dataset.labels = labels.narrow(0, 0, dataset.size()).contiguous();
    dataset.class_names = fashion_mnist_class_names();
  }
  return dataset;
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

torch::Tensor load_fashion_mnist_labels(const std::string& dir, FashionMnistSplit split) {
  const std::string path = find_file(dir, split_prefix(split) + "-labels-idx1-ubyte");
  auto labels = parse_idx(read_gzip_file(path), path);
  if (labels.dim() != 1 || (labels.numel() > 0 && labels.max().item<int64_t>() > 9))
    throw UserError(path + ": expected one label 0..9 per image");
  return labels.to(torch::kInt64);
}

}  // namespace wgan
