// Fashion-MNIST, the embedded default dataset: the idx .gz files that Debian's
// `dataset-fashion-mnist` installs, 28x28 gray images zero-padded to 32x32.
#pragma once
#include <string>
#include <vector>

#include "wgan/data/dataset.h"

namespace wgan {

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";

enum class FashionMnistSplit { kTrain, kTest };

// Loads images (N x 32 x 32 x 1, uint8, the 28x28 centred with a 2-pixel black border), and their
// labels and class names when the split's labels file is beside them.
// `max_images` > 0 keeps only the first ones. Throws UserError naming the missing file and the
// package that provides it.
ImageDataset load_fashion_mnist(const std::string& dir, FashionMnistSplit split, int64_t max_images = 0);

// The ten class names, in label order (the dataset's own).
const std::vector<std::string>& fashion_mnist_class_names();

// Labels (N, int64) of the same split.
torch::Tensor load_fashion_mnist_labels(const std::string& dir, FashionMnistSplit split);

// Parses an idx file (already decompressed) into a uint8 tensor of the shape it declares.
// Throws UserError naming `source` when the header is wrong or the data is short.
torch::Tensor parse_idx(const std::string& bytes, const std::string& source);

// Reads a gzip (or plain) file whole; throws UserError naming the path.
std::string read_gzip_file(const std::string& path);

}  // namespace wgan
