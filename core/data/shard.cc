#include "core/data/shard.h"

#include <fmt/format.h>

#include <charconv>

#include "core/util/error.h"

namespace synface::core::data {

Shard::Shard(uint64_t index, uint64_t count) : index_(index), count_(count) {
  if (count == 0) throw MakeError("shard {}/{}: the shard count must be at least 1", index, count);
  if (index >= count) {
    throw MakeError("shard {}/{}: the index must be below the count (shards are 0/{} .. {}/{})",
                    index, count, count, count - 1, count);
  }
}

Shard Shard::Parse(std::string_view text) {
  auto number = [&](std::string_view part, uint64_t* out) {
    if (part.empty()) return false;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), *out);
    return ec == std::errc() && ptr == part.data() + part.size();
  };
  const size_t slash = text.find('/');
  uint64_t index = 0, count = 0;
  if (slash == std::string_view::npos || !number(text.substr(0, slash), &index) ||
      !number(text.substr(slash + 1), &count)) {
    throw MakeError("shard '{}': expected INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/8", text);
  }
  return Shard(index, count);
}

std::vector<uint64_t> Shard::Ids(uint64_t total) const {
  std::vector<uint64_t> ids;
  ids.reserve(Size(total));
  for (uint64_t id = index_; id < total; id += count_) ids.push_back(id);
  return ids;
}

uint64_t Shard::Size(uint64_t total) const {
  return total > index_ ? (total - index_ - 1) / count_ + 1 : 0;
}

std::string Shard::ToString() const { return fmt::format("{}/{}", index_, count_); }

std::string Shard::PartName() const { return fmt::format("shard-{:04}-of-{:04}", index_, count_); }

}  // namespace synface::core::data
