// UserError: a problem with the user's input (a flag, a path, a file). The CLI prints its
// message on one line and exits non-zero; it is never a crash.
#pragma once
#include <stdexcept>
#include <string>

namespace wgan {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace wgan
