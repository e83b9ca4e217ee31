#pragma once
#include "core/endpoint.hpp"
#include "core/ids.hpp"

namespace cairn::core {

// One peer as a reply lists it.
struct PeerInfo {
  Endpoint endpoint;
  PeerId peer_id;
};

}  // namespace cairn::core
