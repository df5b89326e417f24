#include "wgan/models/upsample_conv.h"

#include "wgan/util/error.h"

namespace wgan {

namespace {

// [Cin, Cout, 4, 4] -> [4 * Cout, Cin, 2, 2], phase-major ((ry, rx) = (0,0), (0,1), (1,0), (1,1)).
// Phase r's two taps are kernel rows 3 - r and 1 - r; in the flipped kernel that is row 2 * tap + r,
// so flipping and splitting each side into (tap, phase) pairs lines the taps up.
torch::Tensor phase_kernels(const torch::Tensor& weight) {
  const int64_t in = weight.size(0), out = weight.size(1);
  return weight.flip({2, 3})
      .reshape({in, out, 2, 2, 2, 2})   // in, out, tap_y, phase_y, tap_x, phase_x
      .permute({3, 5, 1, 0, 2, 4})      // phase_y, phase_x, out, in, tap_y, tap_x
      .reshape({4 * out, in, 2, 2});
}

torch::Tensor add_bias(torch::Tensor y, const torch::Tensor& bias) {
  return bias.defined() ? y + bias.view({1, -1, 1, 1}).to(y.scalar_type()) : y;
}

}  // namespace

torch::Tensor transposed_conv_by_phases(const torch::Tensor& x, const torch::Tensor& weight,
                                        const torch::Tensor& bias) {
  const int64_t batch = x.size(0), height = x.size(2), width = x.size(3), out = weight.size(1);
  // Padding 1 around the input: the 2x2 windows then start at rows -1 .. H-1, i.e. (H+1) x (W+1)
  // results per phase, of which phase (ry, rx) uses the H x W window starting at (ry, rx).
  auto all = torch::conv2d(x, phase_kernels(weight), {}, /*stride=*/1, /*padding=*/1)
                 .reshape({batch, 4, out, height + 1, width + 1});
  std::vector<torch::Tensor> phases;
  for (int64_t ry = 0; ry < 2; ++ry)
    for (int64_t rx = 0; rx < 2; ++rx)
      phases.push_back(all.select(1, ry * 2 + rx).narrow(2, ry, height).narrow(3, rx, width));
  // pixel_shuffle reads channel c * 4 + ry * 2 + rx into pixel (2m + ry, 2n + rx).
  auto interleaved = torch::pixel_shuffle(torch::stack(phases, 2).reshape({batch, 4 * out, height, width}), 2);
  return add_bias(interleaved, bias);
}

torch::Tensor transposed_conv_from_1x1(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const int64_t in = weight.size(0), out = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  auto y = torch::mm(x.reshape({x.size(0), in}), weight.reshape({in, out * kh * kw}));
  return add_bias(y.reshape({x.size(0), out, kh, kw}), bias);
}

UpsampleConvImpl::UpsampleConvImpl(int64_t in_channels, int64_t out_channels, bool from_1x1, bool with_bias)
    : from_1x1_(from_1x1) {
  // DCGAN's initialisation; the networks apply it again through init_dcgan_weights.
  weight = register_parameter("weight", torch::randn({in_channels, out_channels, 4, 4}) * 0.02);
  if (with_bias) bias = register_parameter("bias", torch::zeros({out_channels}));
}

torch::Tensor UpsampleConvImpl::forward(const torch::Tensor& x) {
  const int64_t in = weight.size(0);
  if (x.dim() != 4 || x.size(1) != in || (from_1x1_ && (x.size(2) != 1 || x.size(3) != 1)))
    throw UserError("upsampling layer: expected a batch of " + std::to_string(in) + "-channel " +
                    (from_1x1_ ? std::string("1x1 latents") : std::string("feature maps")) + ", got shape " +
                    c10::str(x.sizes()));
  const bool phases = kernel_ == UpsampleKernel::kPhases || (kernel_ == UpsampleKernel::kAuto && !x.is_cuda());
  if (from_1x1_) {
    return phases ? transposed_conv_from_1x1(x, weight, bias)
                  : torch::conv_transpose2d(x, weight, bias, /*stride=*/1, /*padding=*/0);
  }
  return phases ? transposed_conv_by_phases(x, weight, bias)
                : torch::conv_transpose2d(x, weight, bias, /*stride=*/2, /*padding=*/1);
}

void set_upsample_kernel(torch::nn::Module& module, UpsampleKernel kernel) {
  for (auto& child : module.modules(/*include_self=*/true))
    if (auto* up = dynamic_cast<UpsampleConvImpl*>(child.get())) up->set_kernel(kernel);
}

}  // namespace wgan
