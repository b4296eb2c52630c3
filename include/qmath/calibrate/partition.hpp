#pragma once
// How the elements of a row-major tensor map to calibration / metric slots.
//
// A tensor with extents [d0, ..., d(r-1)] is viewed around one axis as
// [outer, axis_len, inner]. Element e = (o * axis_len + k) * inner + t goes to
//   per_tensor:            slot 0                                  (1 slot)
//   per_channel(axis):     slot k                                  (axis_len slots)
//   per_group(axis, G):    slot (o * ceil(axis_len / G) + k / G) * inner + t
//                          (outer * ceil(axis_len/G) * inner slots; the last
//                           group along the axis is shorter when G does not
//                           divide axis_len)
// The slot order is the row-major order of the tensor with the axis replaced
// by its group index: the layout of per-channel / per-group qparams
// (core/qparams.hpp), extended to a shorter last group (as ONNX blocked
// quantization allows) where core's param_layout requires G | axis_len.
// Errors: empty extents or a zero extent ("shape"), axis out of range
// ("axis"), group_size 0 ("group_size").
//
// Example: a [64, 576] weight (out, K), groups of 32 along axis 1:
//   auto p = qmath::partition::per_group(std::array<std::size_t,2>{64, 576}, 1, 32);
//   // p->slots() == 64 * 18; element (c, k) -> slot c * 18 + k / 32.

#include <cstddef>
#include <span>

#include "qmath/core/qparams.hpp"
#include "qmath/core/status.hpp"

namespace qmath {

/// Granularity of a partition.
enum class partition_kind : unsigned char { per_tensor, per_channel, per_group };

class partition {
 public:
  /// One slot for any number of elements (numel() == 0 means "any size").
  static constexpr partition per_tensor() noexcept { return partition(); }
  /// One slot for exactly `numel` elements.
  static constexpr partition per_tensor(std::size_t numel) noexcept {
    partition p;
    p.axis_len_ = numel;
    p.fixed_ = true;
    return p;
  }
  /// One slot per index along `axis`.
  static result<partition> per_channel(std::span<const std::size_t> extents, std::size_t axis) noexcept {
    return make(partition_kind::per_channel, extents, axis, 1);
  }
  /// One slot per `group_size` consecutive indices along `axis`, per index of
  /// the other dimensions.
  static result<partition> per_group(std::span<const std::size_t> extents, std::size_t axis,
                                     std::size_t group_size) noexcept {
    return make(partition_kind::per_group, extents, axis, group_size);
  }

  [[nodiscard]] constexpr partition_kind kind() const noexcept { return kind_; }
  /// Number of elements a tensor must have (0: any, per-tensor only).
  [[nodiscard]] constexpr std::size_t numel() const noexcept {
    return fixed_ ? outer_ * axis_len_ * inner_ : 0;
  }
  [[nodiscard]] constexpr std::size_t outer() const noexcept { return outer_; }
  [[nodiscard]] constexpr std::size_t axis_len() const noexcept { return axis_len_; }
  [[nodiscard]] constexpr std::size_t inner() const noexcept { return inner_; }
  [[nodiscard]] constexpr std::size_t group_size() const noexcept { return group_; }
  /// The axis (0 for per-tensor partitions).
  [[nodiscard]] constexpr std::size_t axis() const noexcept { return axis_; }
  [[nodiscard]] constexpr std::size_t groups_along_axis() const noexcept {
    return (axis_len_ + group_ - 1) / group_;
  }
  [[nodiscard]] constexpr std::size_t slots() const noexcept {
    switch (kind_) {
      case partition_kind::per_tensor: return 1;
      case partition_kind::per_channel: return axis_len_;
      case partition_kind::per_group: return outer_ * groups_along_axis() * inner_;
    }
    return 1;
  }

  /// Does a tensor of `n` elements fit this partition?
  [[nodiscard]] status check_size(std::size_t n, const char* arg) const noexcept {
    if (n == 0) return empty_input(arg);
    if (fixed_ && n != numel()) return size_mismatch(arg, "element count does not match the partition's extents");
    return ok_status;
  }

  /// Calls f(begin, length, slot, slot_stride) for runs of elements covering
  /// [0, n) in order: element begin + j belongs to slot + j * slot_stride
  /// (slot_stride is 0 or 1).
  template <class F>
  void for_each_run(std::size_t n, F&& f) const {
    switch (kind_) {
      case partition_kind::per_tensor: f(std::size_t{0}, n, std::size_t{0}, std::size_t{0}); return;
      case partition_kind::per_channel:
        if (inner_ == 1) {
          for (std::size_t o = 0; o < outer_; ++o) f(o * axis_len_, axis_len_, std::size_t{0}, std::size_t{1});
        } else {
          for (std::size_t o = 0; o < outer_; ++o)
            for (std::size_t k = 0; k < axis_len_; ++k) f((o * axis_len_ + k) * inner_, inner_, k, std::size_t{0});
        }
        return;
      case partition_kind::per_group: {
        const std::size_t ng = groups_along_axis();
        if (inner_ == 1) {
          for (std::size_t o = 0; o < outer_; ++o)
            for (std::size_t g = 0; g < ng; ++g) {
              const std::size_t k0 = g * group_;
              const std::size_t len = axis_len_ - k0 < group_ ? axis_len_ - k0 : group_;
              f(o * axis_len_ + k0, len, o * ng + g, std::size_t{0});
            }
        } else {
          for (std::size_t o = 0; o < outer_; ++o)
            for (std::size_t k = 0; k < axis_len_; ++k)
              f((o * axis_len_ + k) * inner_, inner_, (o * ng + k / group_) * inner_, std::size_t{1});
        }
        return;
      }
    }
  }

 private:
  constexpr partition() noexcept = default;

  static result<partition> make(partition_kind kind, std::span<const std::size_t> extents, std::size_t axis,
                                std::size_t group) noexcept {
    if (group == 0 || group == dynamic) return invalid_argument("group_size", "must be > 0");
    auto l = make_axis_layout(extents, axis);
    if (!l) return l.error();
    partition p;
    p.kind_ = kind;
    p.fixed_ = true;
    p.outer_ = l->outer;
    p.axis_len_ = l->channels;
    p.inner_ = l->inner;
    p.axis_ = axis;
    p.group_ = group;
    return p;
  }

  partition_kind kind_ = partition_kind::per_tensor;
  bool fixed_ = false;
  std::size_t outer_ = 1;
  std::size_t axis_len_ = 0;
  std::size_t inner_ = 1;
  std::size_t group_ = 1;
  std::size_t axis_ = 0;
};

}  // namespace qmath
