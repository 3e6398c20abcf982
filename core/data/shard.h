// Sharding a dataset by sample id: shard i of N owns the ids with id % N == i. Shards share
// nothing but the output folder, so they can run at once on different machines (a Slurm array job:
// shard=$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT), and their union is the unsharded dataset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace synface::core::data {

class Shard {
 public:
  Shard() = default;  // 0/1: everything
  // Throws core::Error unless 0 <= index < count.
  Shard(uint64_t index, uint64_t count);

  // "3/8" -> shard 3 of 8. Throws core::Error quoting the text and saying what is expected.
  static Shard Parse(std::string_view text);
  static Shard All() { return Shard(); }

  uint64_t index() const { return index_; }
  uint64_t count() const { return count_; }
  bool Owns(uint64_t id) const { return id % count_ == index_; }

  // The ids this shard owns among 0 .. total-1, ascending, and how many there are.
  std::vector<uint64_t> Ids(uint64_t total) const;
  uint64_t Size(uint64_t total) const;

  std::string ToString() const;  // "3/8"
  std::string PartName() const;  // "shard-0003-of-0008"

  bool operator==(const Shard& other) const {
    return index_ == other.index_ && count_ == other.count_;
  }

 private:
  uint64_t index_ = 0;
  uint64_t count_ = 1;
};

}  // namespace synface::core::data
