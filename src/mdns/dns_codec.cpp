#include "mdns/dns_codec.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "common/ascii.hpp"

namespace lp2p::mdns {
namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::uint8_t kPointerTag = 0xc0;
constexpr std::size_t kMaxPointerOffset = 0x3fff;

enum Section { kQuestion = 0, kAnswer = 1, kAuthority = 2, kAdditional = 3 };

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> packet) : packet_(packet) {}

  [[nodiscard]] std::size_t offset() const { return offset_; }
  [[nodiscard]] std::size_t remaining() const { return packet_.size() - offset_; }
  void seek(std::size_t offset) { offset_ = offset; }  // within the packet: callers checked

  Result<std::uint8_t> u8() {
    LP2P_TRY(need(1, "byte"));
    return packet_[offset_++];
  }
  Result<std::uint16_t> u16() {
    LP2P_TRY(need(2, "16-bit field"));
    const auto v = static_cast<std::uint16_t>((packet_[offset_] << 8) | packet_[offset_ + 1]);
    offset_ += 2;
    return v;
  }
  Result<std::uint32_t> u32() {
    LP2P_TRY(need(4, "32-bit field"));
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | packet_[offset_++];
    return v;
  }
  Result<std::span<const std::uint8_t>> bytes(std::size_t n, const char* what) {
    LP2P_TRY(need(n, what));
    auto out = packet_.subspan(offset_, n);
    offset_ += n;
    return out;
  }

  // A possibly compressed name starting at the current offset.
  Result<DnsName> name() {
    std::vector<std::string> labels;
    std::size_t at = offset_;
    std::size_t wire_size = 1;
    bool jumped = false;
    for (;;) {
      if (at >= packet_.size()) return error(at, "name runs past the end of the packet");
      const std::uint8_t length = packet_[at];
      if ((length & kPointerTag) == kPointerTag) {
        if (at + 1 >= packet_.size()) return error(at, "compression pointer cut off");
        const std::size_t target = ((length & 0x3fU) << 8) | packet_[at + 1];
        // Strictly backwards: pointers can then never form a loop.
        if (target >= at) return error(at, "compression pointer does not point backwards");
        if (!jumped) offset_ = at + 2;
        jumped = true;
        at = target;
        continue;
      }
      if ((length & kPointerTag) != 0) return error(at, "label type reserved by RFC 6891");
      if (length == 0) {
        if (!jumped) offset_ = at + 1;
        return DnsName(std::move(labels));
      }
      wire_size += 1 + length;
      if (wire_size > kMaxNameSize) return error(at, "name longer than 255 bytes");
      if (at + 1 + length > packet_.size())
        return error(at, "label runs past the end of the packet");
      labels.emplace_back(reinterpret_cast<const char*>(packet_.data() + at + 1), length);
      at += 1 + length;
    }
  }

  static Error error(std::size_t at, const std::string& what) {
    return make_error(Errc::malformed, "DNS packet: " + what + " at offset " + std::to_string(at));
  }

 private:
  [[nodiscard]] Result<void> need(std::size_t n, const char* what) const {
    if (remaining() < n) {
      return make_error(Errc::truncated, std::string("DNS packet ends inside a ") + what +
                                             " at offset " + std::to_string(offset_));
    }
    return {};
  }

  std::span<const std::uint8_t> packet_;
  std::size_t offset_ = 0;
};

Result<RecordData> decode_rdata(Reader& reader, std::uint16_t type, std::size_t length) {
  const std::size_t end = reader.offset() + length;
  auto check_end = [&](RecordData data) -> Result<RecordData> {
    if (reader.offset() != end) {
      return Reader::error(reader.offset(), "rdata length does not match its content");
    }
    return data;
  };
  switch (static_cast<RecordType>(type)) {
    case RecordType::ptr: {
      auto target = reader.name();
      if (!target) return std::move(target).error();
      return check_end(PtrData{std::move(*target)});
    }
    case RecordType::srv: {
      SrvData srv;
      auto priority = reader.u16();
      auto weight = reader.u16();
      auto port = reader.u16();
      if (!priority || !weight || !port)
        return Reader::error(reader.offset(), "SRV record cut off");
      srv.priority = *priority;
      srv.weight = *weight;
      srv.port = *port;
      auto target = reader.name();
      if (!target) return std::move(target).error();
      srv.target = std::move(*target);
      return check_end(std::move(srv));
    }
    case RecordType::txt: {
      TxtData txt;
      while (reader.offset() < end) {
        auto size = reader.u8();
        if (!size) return std::move(size).error();
        if (reader.offset() + *size > end)
          return Reader::error(reader.offset(), "TXT string overruns rdata");
        auto text = reader.bytes(*size, "TXT string");
        if (!text) return std::move(text).error();
        txt.strings.emplace_back(reinterpret_cast<const char*>(text->data()), text->size());
      }
      // RFC 6763 §6.1: one empty string means "no keys".
      if (txt.strings.size() == 1 && txt.strings[0].empty()) txt.strings.clear();
      return check_end(std::move(txt));
    }
    case RecordType::a: {
      if (length != 4)
        return Reader::error(reader.offset(), "A record of " + std::to_string(length) + " bytes");
      AData a;
      auto bytes = reader.bytes(4, "A record");
      if (!bytes) return std::move(bytes).error();
      std::ranges::copy(*bytes, a.address.begin());
      return RecordData{a};
    }
    case RecordType::aaaa: {
      if (length != 16)
        return Reader::error(reader.offset(),
                             "AAAA record of " + std::to_string(length) + " bytes");
      AaaaData a;
      auto bytes = reader.bytes(16, "AAAA record");
      if (!bytes) return std::move(bytes).error();
      std::ranges::copy(*bytes, a.address.begin());
      return RecordData{a};
    }
    case RecordType::nsec: {
      NsecData nsec;
      auto next = reader.name();
      if (!next) return std::move(next).error();
      nsec.next = std::move(*next);
      int last_window = -1;
      while (reader.offset() < end) {
        auto window = reader.u8();
        auto size = reader.u8();
        if (!window || !size) return Reader::error(reader.offset(), "NSEC bitmap cut off");
        if (static_cast<int>(*window) <= last_window || *size == 0 || *size > 32 ||
            reader.offset() + *size > end) {
          return Reader::error(reader.offset(), "bad NSEC type bitmap");
        }
        last_window = *window;
        auto bits = reader.bytes(*size, "NSEC bitmap");
        if (!bits) return std::move(bits).error();
        for (std::size_t i = 0; i < bits->size(); ++i) {
          for (unsigned bit = 0; bit < 8; ++bit) {
            if (((*bits)[i] & (0x80U >> bit)) != 0) {
              nsec.types.push_back(
                  static_cast<std::uint16_t>((std::size_t{*window} << 8) | (i * 8 + bit)));
            }
          }
        }
      }
      return check_end(std::move(nsec));
    }
    default: {
      auto bytes = reader.bytes(length, "rdata");
      if (!bytes) return std::move(bytes).error();
      return RecordData{RawData{{bytes->begin(), bytes->end()}}};
    }
  }
}

// A record, or nullopt when its rdata is malformed but its length is intact: one bad record (as
// python3-zeroconf 0.47's NSEC) costs only itself, not the good records around it.
Result<std::optional<ResourceRecord>> decode_record(Reader& reader) {
  ResourceRecord record;
  auto name = reader.name();
  if (!name) return std::move(name).error();
  record.name = std::move(*name);
  auto type = reader.u16();
  if (!type) return std::move(type).error();
  auto rrclass = reader.u16();
  if (!rrclass) return std::move(rrclass).error();
  auto ttl = reader.u32();
  if (!ttl) return std::move(ttl).error();
  auto length = reader.u16();
  if (!length) return std::move(length).error();
  if (*length > reader.remaining()) {
    return make_error(Errc::truncated, "DNS packet: rdata of " + std::to_string(*length) +
                                           " bytes runs past the end at offset " +
                                           std::to_string(reader.offset()));
  }
  record.type = *type;
  record.rrclass = static_cast<std::uint16_t>(*rrclass & 0x7fffU);
  record.cache_flush = (*rrclass & kTopBit) != 0;
  record.ttl = *ttl;
  const std::size_t end = reader.offset() + *length;
  auto data = decode_rdata(reader, *type, *length);
  if (!data) {
    reader.seek(end);
    return std::optional<ResourceRecord>();
  }
  record.data = std::move(*data);
  return std::optional<ResourceRecord>(std::move(record));
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

}  // namespace

Result<DnsMessage> decode(std::span<const std::uint8_t> packet) {
  Reader reader(packet);
  DnsMessage message;
  auto id = reader.u16();
  auto flags = reader.u16();
  if (!id || !flags) {
    return make_error(Errc::truncated, "DNS packet of " + std::to_string(packet.size()) +
                                           " bytes is shorter than a header");
  }
  std::array<std::uint16_t, 4> counts{};
  for (auto& count : counts) {
    auto value = reader.u16();
    if (!value) return std::move(value).error();
    count = *value;
  }
  message.id = *id;
  message.response = (*flags & 0x8000U) != 0;
  message.opcode = static_cast<std::uint8_t>((*flags >> 11) & 0xfU);
  message.authoritative = (*flags & 0x0400U) != 0;
  message.truncated = (*flags & 0x0200U) != 0;
  message.rcode = static_cast<std::uint8_t>(*flags & 0xfU);

  for (std::uint16_t i = 0; i < counts[kQuestion]; ++i) {
    Question question;
    auto name = reader.name();
    if (!name) return std::move(name).error();
    auto type = reader.u16();
    if (!type) return std::move(type).error();
    auto rrclass = reader.u16();
    if (!rrclass) return std::move(rrclass).error();
    question.name = std::move(*name);
    question.type = *type;
    question.rrclass = static_cast<std::uint16_t>(*rrclass & 0x7fffU);
    question.unicast_response = (*rrclass & kTopBit) != 0;
    message.questions.push_back(std::move(question));
  }
  std::array<std::vector<ResourceRecord>*, 3> sections{&message.answers, &message.authorities,
                                                       &message.additionals};
  for (std::size_t s = 0; s < sections.size(); ++s) {
    for (std::uint16_t i = 0; i < counts[s + 1]; ++i) {
      auto record = decode_record(reader);
      if (!record) return std::move(record).error();
      if (*record) {
        sections[s]->push_back(std::move(**record));
      } else {
        ++message.skipped_records;
      }
    }
  }
  return message;
}

PacketWriter::PacketWriter(std::size_t max_size) : max_size_(max_size) {
  packet_.resize(kHeaderSize);
}

void PacketWriter::set_header(const DnsMessage& header) {
  std::uint16_t flags = 0;
  if (header.response) flags |= 0x8000U;
  flags |= static_cast<std::uint16_t>((header.opcode & 0xfU) << 11);
  if (header.authoritative) flags |= 0x0400U;
  if (header.truncated) flags |= 0x0200U;
  flags |= header.rcode & 0xfU;
  packet_[0] = static_cast<std::uint8_t>(header.id >> 8);
  packet_[1] = static_cast<std::uint8_t>(header.id);
  packet_[2] = static_cast<std::uint8_t>(flags >> 8);
  packet_[3] = static_cast<std::uint8_t>(flags);
}

namespace {

using Compression = std::vector<std::pair<std::vector<std::string>, std::uint16_t>>;

// Writes `name`, pointing at an earlier copy of its longest known suffix; no compression when
// `known` is null.
void write_name(std::vector<std::uint8_t>& out, const DnsName& name, Compression* known_or_null) {
  const auto& labels = name.labels();
  if (known_or_null == nullptr) {
    for (const auto& label : labels) {
      out.push_back(static_cast<std::uint8_t>(label.size()));
      out.insert(out.end(), label.begin(), label.end());
    }
    out.push_back(0);
    return;
  }
  Compression& known = *known_or_null;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    std::vector<std::string> suffix;
    for (std::size_t j = i; j < labels.size(); ++j) suffix.push_back(ascii_lower(labels[j]));
    const auto hit = std::ranges::find(known, suffix,
                                       &std::pair<std::vector<std::string>, std::uint16_t>::first);
    if (hit != known.end()) {
      put16(out, static_cast<std::uint16_t>(0xc000U | hit->second));
      return;
    }
    if (out.size() <= kMaxPointerOffset) {
      known.emplace_back(std::move(suffix), static_cast<std::uint16_t>(out.size()));
    }
    out.push_back(static_cast<std::uint8_t>(labels[i].size()));
    out.insert(out.end(), labels[i].begin(), labels[i].end());
  }
  out.push_back(0);
}

void write_rdata(std::vector<std::uint8_t>& out, const RecordData& data, Compression* known) {
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, PtrData>) {
          write_name(out, d.target, known);
        } else if constexpr (std::is_same_v<T, SrvData>) {
          put16(out, d.priority);
          put16(out, d.weight);
          put16(out, d.port);
          write_name(out, d.target, known);
        } else if constexpr (std::is_same_v<T, TxtData>) {
          if (d.strings.empty()) out.push_back(0);
          for (const auto& s : d.strings) {
            const std::size_t size = std::min<std::size_t>(s.size(), 255);
            out.push_back(static_cast<std::uint8_t>(size));
            out.insert(out.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(size));
          }
        } else if constexpr (std::is_same_v<T, AData> || std::is_same_v<T, AaaaData>) {
          out.insert(out.end(), d.address.begin(), d.address.end());
        } else if constexpr (std::is_same_v<T, NsecData>) {
          write_name(out, d.next, known);
          std::array<std::array<std::uint8_t, 32>, 256> windows{};
          std::array<std::size_t, 256> sizes{};
          for (const std::uint16_t type : d.types) {
            const std::size_t window = type >> 8;
            const std::size_t low = type & 0xffU;
            windows[window][low / 8] |= static_cast<std::uint8_t>(0x80U >> (low % 8));
            sizes[window] = std::max(sizes[window], low / 8 + 1);
          }
          for (std::size_t w = 0; w < 256; ++w) {
            if (sizes[w] == 0) continue;
            out.push_back(static_cast<std::uint8_t>(w));
            out.push_back(static_cast<std::uint8_t>(sizes[w]));
            out.insert(out.end(), windows[w].begin(),
                       windows[w].begin() + static_cast<std::ptrdiff_t>(sizes[w]));
          }
        } else {
          out.insert(out.end(), d.bytes.begin(), d.bytes.end());
        }
      },
      data);
}

}  // namespace

bool PacketWriter::add_question(const Question& question) {
  const std::size_t size = packet_.size();
  const std::size_t names = names_.size();
  write_name(packet_, question.name, &names_);
  put16(packet_, question.type);
  put16(packet_,
        static_cast<std::uint16_t>(question.rrclass | (question.unicast_response ? kTopBit : 0)));
  if (packet_.size() > max_size_ ||
      counts_[kQuestion] == std::numeric_limits<std::uint16_t>::max()) {
    packet_.resize(size);
    names_.resize(names);
    return false;
  }
  ++counts_[kQuestion];
  return true;
}

bool PacketWriter::add_record(const ResourceRecord& record, int section) {
  const std::size_t size = packet_.size();
  const std::size_t names = names_.size();
  write_name(packet_, record.name, &names_);
  put16(packet_, record.type);
  put16(packet_, static_cast<std::uint16_t>(record.rrclass | (record.cache_flush ? kTopBit : 0)));
  put32(packet_, record.ttl);
  const std::size_t length_at = packet_.size();
  put16(packet_, 0);
  write_rdata(packet_, record.data, &names_);
  const std::size_t length = packet_.size() - length_at - 2;
  auto& count = counts_[static_cast<std::size_t>(section)];
  if (packet_.size() > max_size_ || length > 0xffff ||
      count == std::numeric_limits<std::uint16_t>::max()) {
    packet_.resize(size);
    names_.resize(names);
    return false;
  }
  packet_[length_at] = static_cast<std::uint8_t>(length >> 8);
  packet_[length_at + 1] = static_cast<std::uint8_t>(length);
  ++count;
  return true;
}

bool PacketWriter::add_answer(const ResourceRecord& record) {
  return add_record(record, kAnswer);
}
bool PacketWriter::add_authority(const ResourceRecord& record) {
  return add_record(record, kAuthority);
}
bool PacketWriter::add_additional(const ResourceRecord& record) {
  return add_record(record, kAdditional);
}

bool PacketWriter::empty() const {
  return std::ranges::all_of(counts_, [](std::uint16_t c) { return c == 0; });
}

std::vector<std::uint8_t> PacketWriter::finish() {
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    packet_[4 + 2 * i] = static_cast<std::uint8_t>(counts_[i] >> 8);
    packet_[5 + 2 * i] = static_cast<std::uint8_t>(counts_[i]);
  }
  std::vector<std::uint8_t> out = std::move(packet_);
  packet_.assign(kHeaderSize, 0);
  names_.clear();
  counts_ = {};
  return out;
}

std::vector<std::uint8_t> encode_rdata(const RecordData& data) {
  std::vector<std::uint8_t> out;
  write_rdata(out, data, nullptr);
  return out;
}

std::vector<std::uint8_t> encode(const DnsMessage& message) {
  PacketWriter writer(std::numeric_limits<std::size_t>::max());
  writer.set_header(message);
  for (const auto& q : message.questions) (void)writer.add_question(q);
  for (const auto& r : message.answers) (void)writer.add_answer(r);
  for (const auto& r : message.authorities) (void)writer.add_authority(r);
  for (const auto& r : message.additionals) (void)writer.add_additional(r);
  return writer.finish();
}

}  // namespace lp2p::mdns
