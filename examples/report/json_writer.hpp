#pragma once
// A small streaming JSON writer for qmath-report --json (RFC 8259 output:
// strings escaped, non-finite numbers written as null).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace report {

class json_writer {
 public:
  explicit json_writer(std::FILE* out) : out_(out) {}

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  /// Key of the next member (inside an object).
  json_writer& key(std::string_view k) {
    separator();
    write_string(k);
    std::fputs(": ", out_);
    after_key_ = true;
    return *this;
  }
  json_writer& value(std::string_view s) {
    separator();
    write_string(s);
    return *this;
  }
  json_writer& value(const char* s) { return value(std::string_view(s)); }
  json_writer& value(bool b) {
    separator();
    std::fputs(b ? "true" : "false", out_);
    return *this;
  }
  json_writer& value(double v) {
    separator();
    if (!std::isfinite(v)) {
      std::fputs("null", out_);
    } else {
      std::fprintf(out_, "%.9g", v);
    }
    return *this;
  }
  json_writer& value(std::int64_t v) {
    separator();
    std::fprintf(out_, "%lld", static_cast<long long>(v));
    return *this;
  }
  json_writer& value(std::size_t v) {
    separator();
    std::fprintf(out_, "%llu", static_cast<unsigned long long>(v));
    return *this;
  }
  json_writer& value(int v) { return value(static_cast<std::int64_t>(v)); }
  json_writer& null() {
    separator();
    std::fputs("null", out_);
    return *this;
  }
  template <class T>
  json_writer& member(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  void finish() { std::fputc('\n', out_); }

 private:
  json_writer& open(char c) {
    separator();
    std::fputc(c, out_);
    first_.push_back(true);
    return *this;
  }
  json_writer& close(char c) {
    first_.pop_back();
    newline();
    std::fputc(c, out_);
    return *this;
  }
  void newline() {
    std::fputc('\n', out_);
    for (std::size_t i = 0; i < first_.size(); ++i) std::fputs("  ", out_);
  }
  void separator() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) std::fputc(',', out_);
    first_.back() = false;
    newline();
  }
  void write_string(std::string_view s) {
    std::fputc('"', out_);
    for (unsigned char c : s) {
      switch (c) {
        case '"': std::fputs("\\\"", out_); break;
        case '\\': std::fputs("\\\\", out_); break;
        case '\n': std::fputs("\\n", out_); break;
        case '\r': std::fputs("\\r", out_); break;
        case '\t': std::fputs("\\t", out_); break;
        default:
          if (c < 0x20) {
            std::fprintf(out_, "\\u%04x", c);
          } else {
            std::fputc(c, out_);
          }
      }
    }
    std::fputc('"', out_);
  }

  std::FILE* out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace report
