// What the option tables (models/model_options.def, run/train_options.def) expand into: the
// resume rule of each option and the "given on the command line" type of its overrides.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "wgan/util/named_enum.h"

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

// An option's value from its text as typed on the command line (an architecture's training
// defaults are written so); UserError naming `flag` when the text is not one.
template <typename T>
struct OptionText {
  static T parse(const std::string& text, const std::string& flag) {
    if constexpr (kIsNamedEnum<T>) {
      return parse_enum<T>(text, flag);
    } else if constexpr (std::is_same_v<T, std::string>) {
      return text;
    } else if constexpr (std::is_same_v<T, bool>) {
      if (text == "true" || text == "false") return text == "true";
      throw UserError(flag + " '" + text + "' must be true or false");
    } else {
      static_assert(std::is_arithmetic_v<T>, "an option type OptionText cannot read");
      size_t used = 0;
      T value{};
      try {
        if constexpr (std::is_floating_point_v<T>) {
          value = static_cast<T>(std::stod(text, &used));
        } else if constexpr (std::is_unsigned_v<T>) {
          value = static_cast<T>(std::stoull(text, &used));
        } else {
          value = static_cast<T>(std::stoll(text, &used));
        }
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != text.size()) throw UserError(flag + " '" + text + "' is not a number");
      return value;
    }
  }
};
template <typename T>
struct OptionText<std::optional<T>> {
  static T parse(const std::string& text, const std::string& flag) { return OptionText<T>::parse(text, flag); }
};

// What check_options requires of an option's value (the range column of the tables); an optional
// option is checked only when set.
enum class OptionRange {
  kAny,          // no generic check (check_options checks it by hand where needed)
  kPositive,     // a number > 0 (and finite)
  kNonNegative,  // a number >= 0 (and finite)
  kUnit,         // a number in [0, 1]
  kNonEmpty,     // a string that is not empty
};

}  // namespace wgan
