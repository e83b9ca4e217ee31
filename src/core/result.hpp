#pragma once
// The one result type of the project: codecs and logic return it instead of
// throwing on bad input. E is a small enum per layer.
#include <boost/system/result.hpp>

namespace cairn::core {

template <class T, class E>
using Result = boost::system::result<T, E>;

}  // namespace cairn::core

namespace boost::system {
// result<T, E>::value() calls this when it holds an error. Cairn code reads
// results with has_value()/operator* and never calls value() on an error;
// this keeps a mistake loud instead of undefined.
template <class E>
requires std::is_enum_v<E>
[[noreturn]] void throw_exception_from_error(E const&, boost::source_location const&) {
  throw std::logic_error("cairn: value() called on an error result");
}
}  // namespace boost::system
