// parse_http_reply_head on any bytes, as the client library and the load
// generator read a tracker's answers. A head arrives in pieces over TCP, so
// a strict prefix of a complete head must read as incomplete.
#include <cstdint>

#include "codec/http_reply.hpp"

using namespace cairn::codec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HttpReplyHead head;
  if (parse_http_reply_head(in, head) != ReplyHeadStatus::complete) return 0;
  if (head.head_size < 4 || head.head_size > in.size() || head.status < 0 || head.status > 999)
    __builtin_trap();
  HttpReplyHead again;
  for (auto cut : {head.head_size - 1, head.head_size / 2})
    if (parse_http_reply_head(in.substr(0, cut), again) != ReplyHeadStatus::incomplete)
      __builtin_trap();
  return 0;
}
