#pragma once
// The client library's error: a message for the person running it ("udp://x:1:
// no answer after 2 tries"). Internal detail is fine here: it goes to the
// local user, never onto a network.
#include <stdexcept>
#include <string>

#include "core/result.hpp"

namespace cairn::client {

struct Error {
  std::string message;
  // A tracker answered, with an error or with something unreadable, so a
  // tier that failed this way is never reported as "no tracker answered".
  bool answered = false;
};

// What is wrong with a tracker's answer.
inline Error answered_with(std::string message) { return Error{std::move(message), true}; }

template <class T>
using Result = core::Result<T, Error>;

}  // namespace cairn::client

namespace boost::system {
// As for core's enums: value() on an error is a bug, and says so.
[[noreturn]] inline void throw_exception_from_error(const cairn::client::Error& e,
                                                    boost::source_location const&) {
  throw std::logic_error("cairn client: value() called on an error: " + e.message);
}
}  // namespace boost::system
