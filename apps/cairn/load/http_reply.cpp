#include "load/http_reply.hpp"

#include "codec/bencode.hpp"

namespace cairn::load {

bool valid_announce_body(std::string_view body, std::int32_t numwant, std::size_t& peers) {
  auto doc = codec::bdecode(body);
  if (!doc || doc->kind != codec::BValue::Kind::dict || doc->find("failure reason")) return false;
  auto* interval = doc->find("interval");
  if (!interval || interval->kind != codec::BValue::Kind::integer) return false;
  peers = 0;
  auto* v4 = doc->find("peers");
  if (!v4) return false;
  if (v4->kind == codec::BValue::Kind::string) {
    if (v4->string.size() % 6 != 0) return false;
    peers += v4->string.size() / 6;
  } else if (v4->kind == codec::BValue::Kind::list) {
    peers += v4->list.size();
  } else {
    return false;
  }
  if (auto* v6 = doc->find("peers6")) {
    if (v6->kind != codec::BValue::Kind::string || v6->string.size() % 18 != 0) return false;
    peers += v6->string.size() / 18;
  }
  return numwant < 0 || peers <= static_cast<std::size_t>(numwant);
}

bool valid_scrape_body(std::string_view body, std::size_t requested) {
  auto doc = codec::bdecode(body);
  if (!doc || doc->kind != codec::BValue::Kind::dict || doc->find("failure reason")) return false;
  auto* files = doc->find("files");
  if (!files || files->kind != codec::BValue::Kind::dict || files->dict.size() > requested)
    return false;
  for (const auto& f : files->dict)
    if (f.first.size() != 20 || f.second.kind != codec::BValue::Kind::dict) return false;
  return true;
}

}  // namespace cairn::load
