// Enums whose values have names on the command line and in config.json (--precision bf16,
// "critic_norm": "layer"). An enum opts in by specialising EnumNames next to its declaration:
//
//   template <> struct EnumNames<Precision> {
//     static constexpr NamedValue<Precision> values[] = {{Precision::kAuto, "auto"}, ...};
//   };
//
// and then is parsed (parse_enum, naming the flag on a bad value), written (name_of), listed in help
// ("auto, fp32 or bf16") and read and written by nlohmann::json from this one list. The rest of the
// program compares enum values, never their names.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

#include "wgan/util/error.h"

namespace wgan {

template <typename E>
struct NamedValue {
  E value;
  const char* name;
};

template <typename E>
struct EnumNames;  // specialised per enum with `static constexpr NamedValue<E> values[]`

template <typename E, typename = void>
struct IsNamedEnum : std::false_type {};
template <typename E>
struct IsNamedEnum<E, std::void_t<decltype(EnumNames<E>::values)>> : std::true_type {};
template <typename E>
inline constexpr bool kIsNamedEnum = IsNamedEnum<E>::value;

template <typename E>
const char* name_of(E value) {
  for (const auto& entry : EnumNames<E>::values)
    if (entry.value == value) return entry.name;
  return "?";
}

template <typename E>
std::optional<E> enum_from_name(std::string_view name) {
  for (const auto& entry : EnumNames<E>::values)
    if (name == entry.name) return entry.value;
  return std::nullopt;
}

// "auto, fp32 or bf16": the names in their listed order, for help and errors.
template <typename E>
std::string enum_choices() {
  std::string out;
  const auto count = std::size(EnumNames<E>::values);
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += i + 1 == count ? " or " : ", ";
    out += EnumNames<E>::values[i].name;
  }
  return out;
}

// The value named `name`; UserError naming `flag` and the choices otherwise.
template <typename E>
E parse_enum(const std::string& name, const std::string& flag) {
  if (auto value = enum_from_name<E>(name)) return *value;
  throw UserError(flag + " '" + name + "' must be " + enum_choices<E>());
}

// JSON (found by argument-dependent lookup for enums declared in namespace wgan): the name.
template <typename E, std::enable_if_t<kIsNamedEnum<E>, int> = 0>
void to_json(nlohmann::json& json, E value) {
  json = name_of(value);
}
template <typename E, std::enable_if_t<kIsNamedEnum<E>, int> = 0>
void from_json(const nlohmann::json& json, E& value) {
  value = parse_enum<E>(json.get<std::string>(), "config value");
}

// Streams (test failure messages, --help defaults): the name.
template <typename E, std::enable_if_t<kIsNamedEnum<E>, int> = 0>
std::ostream& operator<<(std::ostream& out, E value) {
  return out << name_of(value);
}

}  // namespace wgan
