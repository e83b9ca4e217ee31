#include "frontend/record_format.hpp"

#include <algorithm>

#include "codec/rendezvous_record.hpp"

namespace cairn::frontend {

namespace rv = codec::rv;

namespace {

class CodecRecordFormat final : public tracker::RecordFormat {
 public:
  // Only a canonical body is stored, so what a key signed is what the
  // tracker returns, byte for byte.
  std::optional<tracker::RendezvousError> check_body(std::string_view body) const override {
    auto record = rv::decode_body(body);
    if (record) return std::nullopt;
    return record.error() == rv::RecordError::record_too_large
               ? tracker::RendezvousError::record_too_large
               : tracker::RendezvousError::bad_record;
  }

  bool offers(std::string_view body, std::string_view capability) const override {
    auto record = rv::decode_body(body);
    return record && std::find(record->protocols.begin(), record->protocols.end(), capability) !=
                         record->protocols.end();
  }

  std::string register_message(const core::TopicId& topic, std::uint64_t seq, std::uint32_t ttl,
                               std::string_view body) const override {
    return rv::register_message(topic.view(), seq, ttl, body);
  }

  std::string remove_message(const core::TopicId& topic, std::uint64_t seq) const override {
    return rv::remove_message(topic.view(), seq);
  }
};

}  // namespace

const tracker::RecordFormat& record_format() {
  static const CodecRecordFormat format;
  return format;
}

}  // namespace cairn::frontend
