#include "wgan/augment/augment.h"

#include <algorithm>
#include <sstream>

#include "wgan/util/error.h"

namespace wgan {

std::vector<AugmentKind> parse_augment_list(const std::string& list) {
  std::vector<AugmentKind> kinds;
  std::stringstream items(list);
  for (std::string item; std::getline(items, item, ',');) {
    if (item.empty() || item == "none") continue;
    AugmentKind kind;
    if (item == "color") {
      kind = AugmentKind::kColor;
    } else if (item == "translation") {
      kind = AugmentKind::kTranslation;
    } else if (item == "cutout") {
      kind = AugmentKind::kCutout;
    } else {
      throw UserError("--augment '" + list + "': '" + item + "' is not a transform (color, translation, cutout, none)");
    }
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  }
  return kinds;
}

namespace {

// One value per image, broadcast over C x H x W.
torch::Tensor per_image(const torch::Tensor& images) {
  return torch::rand({images.size(0), 1, 1, 1}, images.options());
}

torch::Tensor where_applied(const torch::Tensor& apply, const torch::Tensor& changed, const torch::Tensor& images) {
  return torch::where(apply.view({-1, 1, 1, 1}), changed, images);
}

}  // namespace

torch::Tensor augment_color(const torch::Tensor& x, const torch::Tensor& apply) {
  auto y = x + (per_image(x) - 0.5);                                   // brightness
  auto gray = y.mean(1, /*keepdim=*/true);
  y = (y - gray) * (per_image(x) * 2) + gray;                          // saturation (no-op on gray images)
  auto level = y.mean({1, 2, 3}, /*keepdim=*/true);
  y = (y - level) * (per_image(x) + 0.5) + level;                      // contrast
  return where_applied(apply, y.clamp(-1.0, 1.0), x);
}

torch::Tensor augment_translation(const torch::Tensor& x, const torch::Tensor& apply) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t reach_y = std::max<int64_t>(1, (h + 4) / 8), reach_x = std::max<int64_t>(1, (w + 4) / 8);
  const auto index = x.options().dtype(torch::kInt64);
  auto shift_y = torch::randint(-reach_y, reach_y + 1, {b, 1, 1}, index);
  auto shift_x = torch::randint(-reach_x, reach_x + 1, {b, 1, 1}, index);
  // Output pixel (i, j) reads input (i - dy, j - dx); outside the image it is zero.
  auto source_y = torch::arange(h, index).view({1, h, 1}) - shift_y;
  auto source_x = torch::arange(w, index).view({1, 1, w}) - shift_x;
  auto inside = (source_y >= 0) & (source_y < h) & (source_x >= 0) & (source_x < w);
  auto source = (source_y.clamp(0, h - 1) * w + source_x.clamp(0, w - 1)).view({b, 1, h * w});
  auto moved = x.reshape({b, c, h * w}).gather(2, source.expand({b, c, h * w})).view({b, c, h, w});
  return where_applied(apply, moved * inside.unsqueeze(1).to(x.scalar_type()), x);
}

torch::Tensor augment_cutout(const torch::Tensor& x, const torch::Tensor& apply) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  const int64_t side_y = (h + 1) / 2, side_x = (w + 1) / 2;
  const auto index = x.options().dtype(torch::kInt64);
  // The square's centre anywhere in the image; near an edge part of it falls outside.
  auto top = torch::randint(0, h + (1 - side_y % 2), {b, 1, 1}, index) - side_y / 2;
  auto left = torch::randint(0, w + (1 - side_x % 2), {b, 1, 1}, index) - side_x / 2;
  auto rows = torch::arange(h, index).view({1, h, 1}), cols = torch::arange(w, index).view({1, 1, w});
  auto inside = (rows >= top) & (rows < top + side_y) & (cols >= left) & (cols < left + side_x);
  return where_applied(apply, x * (~inside).unsqueeze(1).to(x.scalar_type()), x);
}

torch::Tensor augment(const torch::Tensor& images, const std::vector<AugmentKind>& kinds, const torch::Tensor& p) {
  auto x = images;
  for (const auto kind : kinds) {
    auto apply = torch::rand({x.size(0)}, x.options()) < p;  // a fresh draw per transform and image
    switch (kind) {
      case AugmentKind::kColor: x = augment_color(x, apply); break;
      case AugmentKind::kTranslation: x = augment_translation(x, apply); break;
      case AugmentKind::kCutout: x = augment_cutout(x, apply); break;
    }
  }
  return x;
}

}  // namespace wgan
