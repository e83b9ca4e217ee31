#include "codec/gzip.hpp"

#include <zlib.h>

#include <cctype>
#include <new>
#include <optional>

namespace cairn::codec {

std::string gzip(std::string_view data) {
  z_stream z{};
  // 15 window bits + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&z, Z_FINISH);
  const auto written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (status != Z_STREAM_END) throw std::bad_alloc();  // the bound was not enough: cannot be
  out.resize(written);
  return out;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// A coding's q-value is zero when its parameters say "q=0" (or 0.0, 0.00,
// 0.000); anything else that is not a q parameter is ignored.
bool refused(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? "" : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    p.remove_prefix(2);
    if (p.empty() || p[0] != '0') return false;
    for (char c : p.substr(1))
      if (c != '.' && c != '0') return false;
    return true;
  }
  return false;
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  std::optional<bool> named, star;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? "" : header.substr(comma + 1);
    const auto semi = item.find(';');
    const std::string_view coding = trim(item.substr(0, semi));
    const bool ok = semi == std::string_view::npos || !refused(item.substr(semi + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
      named = named.value_or(false) || ok;
    else if (coding == "*")
      star = ok;
  }
  return named ? *named : star.value_or(false);
}

}  // namespace cairn::codec
