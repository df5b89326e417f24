// What the option tables (models/model_options.def, run/train_options.def) expand into: the
// resume rule of each option and the "given on the command line" type of its overrides.
#pragma once
#include <optional>

namespace wgan {

enum class ResumeRule {
  kFixed,      // the checkpoint fixes it: --resume with the flag is an error
  kResumable,  // a value given with --resume replaces the saved one
  kLength,     // the run's length: giving one of them with --resume replaces all of them
};

// The override of an option of type T: unset when the user did not give it. An option that is
// already optional (unset = the loss's default) is overridden by a value of the same type.
template <typename T>
struct GivenType { using type = std::optional<T>; };
template <typename T>
struct GivenType<std::optional<T>> { using type = std::optional<T>; };
template <typename T>
using Given = typename GivenType<T>::type;

}  // namespace wgan
