#pragma once
// The admin dashboard's files (src/admin/dashboard/), embedded in the
// binary at build time: embed_files.cmake writes them into a generated
// source, so the page needs no file on disk, no CDN and no internet.
#include <vector>

#include "frontend/admin_http.hpp"

namespace cairn::admin {

std::vector<frontend::StaticFile> dashboard_files();

}  // namespace cairn::admin
