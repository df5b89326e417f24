// The version `wgan --version` prints and exported models record (ONNX metadata, the web page).
#pragma once

namespace wgan {

inline constexpr const char* kWganVersion = "0.6.0";

}  // namespace wgan
