// parse on any bytes, as a pipeline of replies: every reply read is walked
// (spans add up, texts lie inside the buffer), a cut-short input is
// incomplete at every shorter length too, and what the cluster client does
// with a reply from a hostile node (the redirection decision, the slot map
// readers) never crashes.
#include <cstdint>
#include <string_view>
#include <vector>

#include "codec/resp.hpp"
#include "store/redis/redirect.hpp"
#include "store/redis/slot_map.hpp"

using namespace cairn::codec::resp;

namespace {

// Walks a subtree; returns its node count, which must equal its span.
std::uint32_t walk(Reply r, std::string_view buffer) {
  if (r.is_text() && r.text().data() + r.text().size() > buffer.data() + buffer.size())
    __builtin_trap();
  std::uint32_t nodes = 1, children = 0;
  for (Reply child : r) {
    nodes += walk(child, buffer);
    ++children;
  }
  if (r.is_aggregate() && children != r.size()) __builtin_trap();
  return nodes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_depth = 6;
  limits.max_elements = 512;
  limits.max_string = 1024;
  limits.max_aggregate = 256;
  std::vector<Node> nodes;
  std::size_t at = 0;
  while (at < in.size()) {
    const std::size_t root = nodes.size();
    const Parsed p = parse(in, at, nodes, limits);
    if (p.status != Status::complete) {
      if (nodes.size() != root) __builtin_trap();  // a failed parse adds nothing
      break;
    }
    if (p.end <= at || p.end > in.size()) __builtin_trap();
    const Reply reply(&nodes[root], in);
    if (walk(reply, in) != nodes.size() - root) __builtin_trap();
    const cairn::store::redis::NodeAddress asked{"127.0.0.1", 7000};
    const auto d = cairn::store::redis::decide(reply, asked, 0);
    if (d.step != cairn::store::redis::Step::done && !reply.is_error()) __builtin_trap();
    if (auto map = cairn::store::redis::SlotMap::from_shards(reply, asked))
      if (map->covered() > cairn::store::redis::kSlots) __builtin_trap();
    if (auto map = cairn::store::redis::SlotMap::from_shards(reply, asked, true))  // tls-port
      if (map->covered() > cairn::store::redis::kSlots) __builtin_trap();
    if (auto map = cairn::store::redis::SlotMap::from_slots(reply, asked))
      if (map->covered() > cairn::store::redis::kSlots) __builtin_trap();
    // The same reply one byte short is never complete.
    std::vector<Node> scratch;
    if (parse(in.substr(0, p.end - 1), at, scratch, limits).status == Status::complete)
      __builtin_trap();
    at = p.end;
  }
  return 0;
}
