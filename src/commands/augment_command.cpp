#include "wgan/commands/augment_command.h"

#include <filesystem>

#include "wgan/data/training_data.h"
#include "wgan/io/image_grid.h"
#include "wgan/augment/augment.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {

std::string run_augment_preview(const AugmentPreviewConfig& c) {
  const auto kinds = parse_augment_list(c.augment);  // UserError naming --augment
  if (!(c.augment_p >= 0 && c.augment_p <= 1)) throw UserError("--augment-p must be a probability in [0, 1]");
  if (c.num < 1 || c.num > 1024) throw UserError("--num must be in 1..1024");
  if (c.nrow < 1) throw UserError("--nrow must be positive");
  ensure_parent_dir(c.grid);  // an unwritable --grid folder is a UserError naming it, before the data is read
  DataRequest request;
  request.data = c.data;
  request.data_dir = c.data_dir;
  request.cache_dir = (fs::temp_directory_path() / ("wgan_augment_" + std::to_string(::getpid()))).string();
  request.quiet = true;
  const ImageDataset dataset = load_training_data(request);
  fs::remove_all(request.cache_dir);

  torch::manual_seed(c.seed);
  const int64_t n = std::min(c.num, dataset.size());
  auto chosen = torch::randperm(dataset.size(), torch::kInt64).narrow(0, 0, n);
  auto plain = to_signed_unit(dataset.images.index_select(0, chosen).permute({0, 3, 1, 2}).contiguous());
  auto seen = augment(plain, kinds, torch::full({}, c.augment_p));
  // Row by row: nrow plain images, then the same nrow as the critic sees them.
  std::vector<torch::Tensor> rows;
  for (int64_t start = 0; start < n; start += c.nrow) {
    const int64_t count = std::min(c.nrow, n - start);
    rows.push_back(plain.narrow(0, start, count));
    rows.push_back(seen.narrow(0, start, count));
    if (count < c.nrow) {  // keep the pairs aligned: pad a short last row
      const auto pad = torch::zeros({c.nrow - count, plain.size(1), plain.size(2), plain.size(3)});
      rows.insert(rows.end() - 1, pad);
      rows.push_back(pad);
    }
  }
  GridOptions grid;
  grid.nrow = c.nrow;
  write_png(c.grid, make_grid(torch::cat(rows), grid));
  return c.grid;
}

}  // namespace wgan
