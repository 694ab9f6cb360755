#pragma once
#include <stdexcept>
#include <string>

namespace lodestone {

// Every failure of the core is reported with this exception; the Node binding
// turns it into a JS Error with the same message. The core never aborts.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Formats a double for error messages (shortest representation that reads back).
std::string format_number(double value);

}  // namespace lodestone
