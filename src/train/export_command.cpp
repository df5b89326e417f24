#include "wgan/train/export_command.h"

#include "wgan/train/sampling.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "wgan/io/image_grid.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/train/checkpoint.h"
#include "wgan/train/trainer.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {

void export_generator(const std::string& checkpoint_or_run_dir, bool use_ema, const std::string& to) {
  if (to.empty()) throw UserError("--to FILE.pt is required");
  auto loaded = load_generator(checkpoint_or_run_dir, use_ema, torch::kCPU);
  const auto parent = fs::path(to).parent_path();
  if (!parent.empty()) ensure_writable_dir(parent.string());
  save_torch_state_dict(to, module_state(*loaded.net));
}

}  // namespace wgan
