// libFuzzer target: the mDNS packet decoder and the responder/querier cores behind it.
//
// Properties (abort on violation):
//   - a packet that decodes re-encodes to bytes that decode to the same message (less the records
//     skipped for malformed rdata);
//   - the responder and querier take any decodable packet, as a query and as a response, from
//     port 5353 and from a legacy port, without crashing, and their output decodes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "mdns/dns_codec.hpp"
#include "mdns/querier.hpp"
#include "mdns/responder.hpp"

namespace {

using namespace lp2p::mdns;

void check_outputs(std::vector<Outgoing> out, std::span<const std::uint8_t> input) {
  for (const auto& o : out) LP2P_FUZZ_CHECK(decode(o.packet).has_value(), input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const auto message = decode(input);
  if (!message) return 0;

  // Records skipped for malformed rdata are not re-encoded: the re-decoded packet has none.
  const auto again = decode(encode(*message));
  LP2P_FUZZ_CHECK(again.has_value(), input);
  LP2P_FUZZ_CHECK(again->skipped_records == 0, input);
  DnsMessage expected = *message;
  expected.skipped_records = 0;
  LP2P_FUZZ_CHECK(*again == expected, input);

  static Random random(1);
  const TimePoint now{seconds(100)};
  const DnsName service({"_openscreen", "_udp", "local"});
  Responder responder(ServiceInstance{"TV", service, {"_g"}, 4433, {"fp=x"}},
                      HostInfo{"tv", {IpAddress::v4_from({10, 0, 0, 1})}}, random, now);
  Querier querier(random);
  querier.browse(service, now);
  for (const std::uint16_t port : {kMdnsPort, std::uint16_t{40000}}) {
    const Endpoint from{IpAddress::v4_from({10, 0, 0, 2}), port, 1};
    TimePoint t = now;
    for (int step = 0; step < 3; ++step) {  // probing, announcing, announced
      responder.on_packet(*message, from, t);
      querier.on_packet(*message, from, t);
      t += seconds(1);
      responder.on_timer(t);
      querier.on_timer(t);
      check_outputs(responder.take_outgoing(), input);
      check_outputs(querier.take_outgoing(), input);
      (void)responder.take_events();
      (void)querier.take_events();
    }
  }
  return 0;
}
