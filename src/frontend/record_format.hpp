#pragma once
// The rendezvous record format as the codec defines it
// (codec/rendezvous_record.hpp), for the rules in tracker::Rendezvous: one
// instance, handed to the Rendezvous that every rendezvous frontend (HTTP,
// UDP, those to come) calls, so a body is checked once and alike for all.
#include "tracker/rendezvous.hpp"

namespace cairn::frontend {

const tracker::RecordFormat& record_format();

}  // namespace cairn::frontend
