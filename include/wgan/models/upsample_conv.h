// The generator's transposed convolutions (4x4 kernels) without LibTorch's transposed-convolution
// kernel on the CPU, which is several times slower there than an ordinary convolution of the same
// arithmetic (docs/performance-cpu.md, "layer by layer"). The weights keep ConvTranspose2d's shape
// and names, so checkpoints, export and the blog post's G.ckpt are unchanged.
#pragma once
#include <torch/torch.h>

namespace wgan {

// How a transposed convolution is computed.
enum class UpsampleKernel {
  kAuto,        // kPhases on the CPU, kTransposed elsewhere (cuDNN's transposed kernel is fast)
  kTransposed,  // torch::conv_transpose2d
  kPhases,      // stride 2: the four output phases as one 2x2 convolution, interleaved by pixel_shuffle;
                // 1x1 input, stride 1 (the first layer): a matrix product
};

// conv_transpose2d(x, weight, bias, stride 2, padding 1) for weight [Cin, Cout, 4, 4]: output pixel
// (2m + r) receives input rows m-1, m (r = 0) or m, m+1 (r = 1) through kernel rows 3, 1 or 2, 0.
// So a 2x2 convolution over the input padded by one, with the four phases' kernels stacked as
// 4 * Cout outputs, gives every phase at once; each phase is its (H x W) window of that result.
torch::Tensor transposed_conv_by_phases(const torch::Tensor& x, const torch::Tensor& weight,
                                        const torch::Tensor& bias);

// conv_transpose2d(x, weight, bias, stride 1, padding 0) for a 1x1 input (B x Cin x 1 x 1): a
// matrix product of z with the weight viewed as Cin x (Cout * kh * kw).
torch::Tensor transposed_conv_from_1x1(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// A ConvTranspose2d with a 4x4 kernel and either stride 2, padding 1 (doubles the side) or stride 1,
// padding 0 on a 1x1 input (latent to 4x4), run with the fastest kernel for the input's device.
// Parameters "weight" [Cin, Cout, 4, 4] and "bias" [Cout] (when asked for), as nn::ConvTranspose2d.
class UpsampleConvImpl : public torch::nn::Module {
 public:
  UpsampleConvImpl(int64_t in_channels, int64_t out_channels, bool from_1x1, bool bias);
  torch::Tensor forward(const torch::Tensor& x);
  void set_kernel(UpsampleKernel kernel) { kernel_ = kernel; }
  bool from_1x1() const { return from_1x1_; }  // the latent-to-4x4 layer (stride 1, padding 0)

  torch::Tensor weight;
  torch::Tensor bias;  // undefined when built without bias

 private:
  bool from_1x1_;
  UpsampleKernel kernel_ = UpsampleKernel::kAuto;
};
TORCH_MODULE(UpsampleConv);

// Sets the kernel of every UpsampleConv in `module` (tests and benchmarks compare them).
void set_upsample_kernel(torch::nn::Module& module, UpsampleKernel kernel);

}  // namespace wgan
