// Built against one layer by tests/layers/CMakeLists.txt: it compiles only
// where that layer may use a codec.
#include "codec/rendezvous_record.hpp"

bool probe_decodes(std::string_view body) {
  return cairn::codec::rv::decode_body(body).has_value();
}
