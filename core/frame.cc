// core/frame.cc — COBS + CRC-32 framing (see frame.h for the wire format and why).
#include "core/frame.h"

#include <array>
#include <cstring>

namespace mproc_frame {
namespace {

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

// COBS body length bound for n input bytes: one code byte per started block of 254.
constexpr size_t cobs_bound(size_t n) { return n + n / 254 + 1; }

// Appends the COBS encoding of the bytes a[0..na) followed by b[0..nb).
void cobs_append(const unsigned char* a, size_t na, const unsigned char* b, size_t nb,
                 std::string* out) {
  size_t code_at = out->size();
  out->push_back('\0');
  unsigned char code = 1;
  const auto put = [&](unsigned char byte) {
    if (byte == 0) {
      (*out)[code_at] = static_cast<char>(code);
      code_at = out->size();
      out->push_back('\0');
      code = 1;
      return;
    }
    out->push_back(static_cast<char>(byte));
    if (++code == 0xFF) {
      (*out)[code_at] = static_cast<char>(code);
      code_at = out->size();
      out->push_back('\0');
      code = 1;
    }
  };
  for (size_t i = 0; i < na; ++i) put(a[i]);
  for (size_t i = 0; i < nb; ++i) put(b[i]);
  (*out)[code_at] = static_cast<char>(code);
}

// Decodes a COBS body in place (the output never overtakes the input). false when malformed.
bool cobs_decode_in_place(std::string* body) {
  unsigned char* p = reinterpret_cast<unsigned char*>(&(*body)[0]);
  const size_t n = body->size();
  size_t in = 0;
  size_t outp = 0;
  while (in < n) {
    const size_t code = p[in];
    if (code == 0 || code > n - in) return false;  // zeros never occur; a block must fit
    std::memmove(p + outp, p + in + 1, code - 1);
    outp += code - 1;
    in += code;
    if (code < 0xFF && in < n) p[outp++] = 0;
  }
  body->resize(outp);
  return true;
}

}  // namespace

uint32_t crc32(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

size_t max_encoded_size(size_t n) { return 2 + cobs_bound(n + kCrcSize); }

void encode(const void* data, size_t n, std::string* out) {
  const uint32_t crc = crc32(data, n);
  const unsigned char trailer[kCrcSize] = {
      static_cast<unsigned char>(crc), static_cast<unsigned char>(crc >> 8),
      static_cast<unsigned char>(crc >> 16), static_cast<unsigned char>(crc >> 24)};
  out->reserve(out->size() + max_encoded_size(n));
  out->push_back('\0');
  cobs_append(static_cast<const unsigned char*>(data), n, trailer, kCrcSize, out);
  out->push_back('\0');
}

const char* drop_reason_name(drop_reason r) {
  switch (r) {
    case drop_reason::crc:
      return "CRC mismatch";
    case drop_reason::malformed:
      return "malformed frame";
    case drop_reason::oversize:
      return "frame over the maximum size";
    case drop_reason::truncated:
      return "truncated frame";
  }
  return "dropped";
}

decoder::decoder(size_t max_payload)
    : max_payload_(max_payload), max_chunk_(cobs_bound(max_payload + kCrcSize)) {}

void decoder::feed(const void* data, size_t n, sink* out) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const auto* zero = static_cast<const char*>(std::memchr(p, 0, n));
    const size_t seg = zero != nullptr ? static_cast<size_t>(zero - p) : n;
    if (discarding_) {
      discarded_ += seg;
    } else if (seg > max_chunk_ - chunk_.size()) {
      // Too long to be a frame: stop storing it and count its bytes until the next delimiter.
      discarding_ = true;
      discarded_ = chunk_.size() + seg;
      chunk_.clear();
    } else {
      chunk_.append(p, seg);
    }
    if (zero == nullptr) break;
    end_chunk(out);
    p = zero + 1;
    n -= seg + 1;
  }
}

void decoder::finish(sink* out) {
  if (!in_frame()) return;
  const size_t bytes = discarding_ ? discarded_ : chunk_.size();
  reset();
  ++stats_.dropped[static_cast<int>(drop_reason::truncated)];
  stats_.bytes_discarded += bytes;
  out->drop(drop_reason::truncated, bytes);
}

void decoder::reset() {
  chunk_.clear();
  discarding_ = false;
  discarded_ = 0;
}

void decoder::end_chunk(sink* out) {
  const auto drop = [&](drop_reason why, size_t bytes) {
    reset();
    ++stats_.dropped[static_cast<int>(why)];
    stats_.bytes_discarded += bytes;
    out->drop(why, bytes);
  };
  if (discarding_) return drop(drop_reason::oversize, discarded_);
  if (chunk_.empty())
    return;  // back-to-back delimiters: the end of one frame, the start of the next
  const size_t received = chunk_.size();
  if (!cobs_decode_in_place(&chunk_) || chunk_.size() < kCrcSize) {
    return drop(drop_reason::malformed, received);
  }
  const size_t len = chunk_.size() - kCrcSize;
  if (len > max_payload_) return drop(drop_reason::oversize, received);
  const auto* t = reinterpret_cast<const unsigned char*>(chunk_.data() + len);
  const uint32_t sent = static_cast<uint32_t>(t[0]) | static_cast<uint32_t>(t[1]) << 8 |
                        static_cast<uint32_t>(t[2]) << 16 | static_cast<uint32_t>(t[3]) << 24;
  if (sent != crc32(chunk_.data(), len)) return drop(drop_reason::crc, received);
  ++stats_.frames;
  out->frame(chunk_.data(), len);
  chunk_.clear();
}

}  // namespace mproc_frame
