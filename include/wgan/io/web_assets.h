// The files of web/ (index.html, page.js, torch_random.js), built into the binary by CMake so that
// `wgan export --web` needs nothing from the source tree at run time.
#pragma once
#include <string_view>
#include <vector>

namespace wgan {

struct WebAsset {
  const char* name;       // file name in the exported folder
  std::string_view text;  // its contents
};

const std::vector<WebAsset>& web_assets();

}  // namespace wgan
