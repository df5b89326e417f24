// Differentiable augmentation of everything the critic sees (--augment), so that a small data set
// is not memorised: DiffAugment's transforms (Zhao et al. 2020) applied to real and generated
// images alike (and so the gradient penalty's interpolates, made of the augmented pair), each with
// its own random draw per image, applied to each image with probability --augment-p. Gradients
// flow through every transform, so the generator is trained through them too and is never asked
// to produce them.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace wgan {

enum class AugmentKind { kColor, kTranslation, kCutout };

// "color,translation,cutout" -> the transforms, in that order; "" and "none" are no transforms.
// UserError naming --augment for an unknown name.
std::vector<AugmentKind> parse_augment_list(const std::string& list);

// Each transform on a batch (B x C x H x W in [-1, 1]) where `apply` (B, bool) is true; the
// others pass through unchanged. Output values stay in [-1, 1].
//   color:        brightness +-0.5, saturation x[0, 2], contrast x[0.5, 1.5] (then clamped)
//   translation:  an integer shift of up to 1/8 of the side in each direction, zero-padded
//   cutout:       a square of half the side, anywhere in the image, set to zero
torch::Tensor augment_color(const torch::Tensor& images, const torch::Tensor& apply);
torch::Tensor augment_translation(const torch::Tensor& images, const torch::Tensor& apply);
torch::Tensor augment_cutout(const torch::Tensor& images, const torch::Tensor& apply);

// Every transform of `kinds`, each applied to an image with probability `p` (a 0-d tensor on the
// images' device, so a captured CUDA graph reads its current value). p = 0 is the identity.
torch::Tensor augment(const torch::Tensor& images, const std::vector<AugmentKind>& kinds, const torch::Tensor& p);

}  // namespace wgan
