// bdecode on any bytes: it decodes or refuses, within its limits, and what it
// accepts is canonical (sorted keys, no leading zeros), so writing the tree
// back must give the input byte for byte.
#include <cstdint>
#include <string>

#include "codec/bencode.hpp"

using namespace cairn::codec;

namespace {
void write(const BValue& v, BencodeWriter& w) {
  switch (v.kind) {
    case BValue::Kind::integer:
      w.integer(v.integer);
      break;
    case BValue::Kind::string:
      w.string(v.string);
      break;
    case BValue::Kind::list:
      w.begin_list();
      for (const auto& item : v.list) write(item, w);
      w.end();
      break;
    case BValue::Kind::dict:
      w.begin_dict();
      for (const auto& [key, value] : v.dict) {
        w.key(key);
        write(value, w);
      }
      w.end();
      break;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto root = bdecode(in);
  // Tight limits reach the depth and item-count errors with short inputs.
  auto tight = bdecode(in, {.max_depth = 3, .max_items = 16});
  if (tight.has_value() && !root.has_value()) __builtin_trap();
  if (!root.has_value()) return 0;
  std::string out;
  BencodeWriter w(out);
  write(*root, w);
  if (out != in) __builtin_trap();
  return 0;
}
