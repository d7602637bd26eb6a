// The public handles (include/lp2p/*.hpp): thin forwarding to the implementations here.
#include <fstream>

#include "api/agent_core.hpp"
#include "api/connection_impl.hpp"
#include "api/data_channel_impl.hpp"
#include "api/log_setup.hpp"
#include "api/picker_impl.hpp"
#include "api/quic_transport_impl.hpp"
#include "api/receiver_impl.hpp"
#include "discovery/ticket.hpp"
#include "lp2p/lp2p.hpp"
#include "lp2p/quic_transport.hpp"

namespace lp2p {

// ---- Agent ----

Result<std::unique_ptr<Agent>> Agent::create(AgentOptions options,
                                             std::shared_ptr<ConsentDelegate> consent) {
  api::ensure_default_logging();
  auto core = api::AgentCore::create(std::move(options), std::move(consent));
  if (!core) return std::move(core).error();
  return std::unique_ptr<Agent>(new Agent(std::move(*core)));
}

Agent::Agent(std::shared_ptr<api::AgentCore> core) : core_(std::move(core)) {}

Agent::~Agent() {
  core_->stop();
}

const std::string& Agent::fingerprint() const {
  return core_->fingerprint();
}

std::uint16_t Agent::port() const {
  return core_->port();
}

bool Agent::wait_discoverable(std::chrono::milliseconds timeout) {
  return core_->wait_discoverable(timeout);
}

std::string Agent::ticket() const {
  return core_->ticket();
}

Result<void> Agent::add_ticket(std::string_view ticket) {
  auto decoded = discovery::decode_ticket(ticket);
  if (!decoded) return std::move(decoded).error();
  return core_->call([&]() -> Result<void> { return core_->discovery().add_ticket(*decoded); });
}

std::vector<GrantInfo> Agent::grants(std::string_view origin) const {
  auto list = core_->call(
      [&]() -> Result<std::vector<GrantInfo>> { return core_->grants(std::string(origin)); });
  return list ? std::move(*list) : std::vector<GrantInfo>{};
}

Result<bool> Agent::revoke(std::string_view origin, std::string_view peer_id) {
  return core_->call(
      [&]() -> Result<bool> { return core_->revoke(std::string(origin), std::string(peer_id)); });
}

void Agent::stop() {
  core_->stop();
}

// ---- Receiver ----

Receiver::Receiver(Agent& agent, ReceiverOptions options)
    : impl_(std::make_shared<api::ReceiverImpl>(agent.core().shared_from_this(),
                                                std::move(options))) {}

Receiver::Receiver(Receiver&&) noexcept = default;
Receiver& Receiver::operator=(Receiver&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Receiver::~Receiver() {
  if (impl_) impl_->stop();
}

void Receiver::on_connection(std::function<void(Connection)> handler) {
  impl_->on_connection.set(std::move(handler));
}

void Receiver::start(std::function<void(Result<void>)> handler) {
  impl_->start(std::move(handler));
}

std::future<Result<void>> Receiver::start() {
  auto promise = std::make_shared<std::promise<Result<void>>>();
  auto future = promise->get_future();
  impl_->start([promise](Result<void> started) { promise->set_value(std::move(started)); });
  return future;
}

void Receiver::stop() {
  impl_->stop();
}

// ---- Request ----

namespace api {
// The request's state: the picker once started (the attempt itself lives in the picker).
struct RequestImpl {
  RequestImpl(CoreRef agent, RequestOptions request_options)
      : core(std::move(agent)), options(std::move(request_options)) {}
  CoreRef core;
  const RequestOptions options;
  std::mutex mutex;
  std::shared_ptr<PickerImpl> picker;  // under mutex, once started
};
}  // namespace api

Request::Request(Agent& agent, RequestOptions options)
    : impl_(std::make_shared<api::RequestImpl>(agent.core().shared_from_this(),
                                               std::move(options))) {}

void Request::start(std::function<void(Result<Connection>)> handler) {
  std::shared_ptr<api::PickerImpl> picker;
  {
    const std::scoped_lock lock(impl_->mutex);
    if (impl_->picker) {
      handler(make_error(Errc::invalid_argument, "the request already started"));
      return;
    }
    picker = std::make_shared<api::PickerImpl>(impl_->core, impl_->options, handler);
    impl_->picker = picker;
  }
  if (!impl_->core.post([picker] { picker->open(); })) {
    handler(make_error(Errc::closed, "the agent stopped"));
  }
}

std::future<Result<Connection>> Request::start() {
  auto promise = std::make_shared<std::promise<Result<Connection>>>();
  auto future = promise->get_future();
  start([promise](Result<Connection> connection) { promise->set_value(std::move(connection)); });
  return future;
}

void Request::cancel() {
  std::shared_ptr<api::PickerImpl> picker;
  {
    const std::scoped_lock lock(impl_->mutex);
    picker = impl_->picker;
  }
  if (picker) picker->dismiss();
}

// ---- Connection ----

const PeerInfo& Connection::peer() const {
  return impl_->peer();
}

const std::string& Connection::origin() const {
  return impl_->origin();
}

bool Connection::is_open() const {
  return impl_->is_open();
}

Result<DataChannel> Connection::create_data_channel(const std::string& label,
                                                    DataChannelInit init) {
  return impl_->create_data_channel(label, init);
}

void Connection::on_data_channel(std::function<void(DataChannel)> handler) {
  impl_->set_data_channel_handler(std::move(handler));
}

void Connection::on_close(std::function<void(const ConnectionClosed&)> handler) {
  impl_->set_close_handler(std::move(handler));
}

void Connection::close() {
  impl_->close();
}

// ---- DataChannel ----

const std::string& DataChannel::label() const {
  return impl_->label();
}

const std::string& DataChannel::protocol() const {
  return impl_->protocol();
}

std::uint16_t DataChannel::id() const {
  return impl_->id();
}

DataChannelState DataChannel::state() const {
  return impl_->state();
}

Result<void> DataChannel::send(std::string_view text) {
  return impl_->send(MessageKind::text,
                     {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

Result<void> DataChannel::send(std::span<const std::uint8_t> bytes, MessageKind kind) {
  return impl_->send(kind, bytes);
}

Result<void> DataChannel::send_file(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return make_error(Errc::io_error, file.string() + ": " + ec.message());
  if (size > kMaxMessageSize) {
    return make_error(Errc::too_large, file.string() + " has " + std::to_string(size) +
                                           " bytes; one message carries at most " +
                                           std::to_string(kMaxMessageSize));
  }
  std::ifstream in(file, std::ios::binary);
  std::vector<std::uint8_t> bytes(size);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return make_error(Errc::io_error, file.string() + ": cannot be read");
  }
  return impl_->send(MessageKind::blob, bytes);
}

void DataChannel::close() {
  impl_->close();
}

std::size_t DataChannel::buffered_amount() const {
  return impl_->buffered_amount();
}

void DataChannel::set_buffered_amount_low_threshold(std::size_t bytes) {
  impl_->set_low_threshold(bytes);
}

std::size_t DataChannel::buffered_amount_low_threshold() const {
  return impl_->low_threshold();
}

void DataChannel::on_open(std::function<void()> handler) {
  impl_->on_open.set(std::move(handler));
  impl_->replay_missed();
}

void DataChannel::on_message(std::function<void(const Message&)> handler) {
  impl_->on_message.set(std::move(handler));
  impl_->release_held();
}

void DataChannel::on_error(std::function<void(const Error&)> handler) {
  impl_->on_error.set(std::move(handler));
  impl_->replay_missed();
}

void DataChannel::on_closing(std::function<void()> handler) {
  impl_->on_closing.set(std::move(handler));
  impl_->replay_missed();
}

void DataChannel::on_close(std::function<void()> handler) {
  impl_->on_close.set(std::move(handler));
  impl_->replay_missed();
}

void DataChannel::on_buffered_amount_low(std::function<void()> handler) {
  impl_->on_buffered_amount_low.set(std::move(handler));
}

// ---- QuicTransport ----

Result<QuicTransport> QuicTransport::open(const Connection& connection) {
  if (!connection) return make_error(Errc::invalid_argument, "an empty Connection");
  auto& impl = *connection.impl_;
  return impl.core().call([&]() -> Result<QuicTransport> {
    auto transport = impl.core()->open_transport(impl);
    if (!transport) return std::move(transport).error();
    return QuicTransport(std::move(*transport));
  });
}

void QuicTransport::on_ready(std::function<void(Result<void>)> handler) {
  impl_->set_ready_handler(std::move(handler));
}

std::future<Result<void>> QuicTransport::ready() {
  auto promise = std::make_shared<std::promise<Result<void>>>();
  auto future = promise->get_future();
  impl_->set_ready_handler([promise](Result<void> ready) { promise->set_value(std::move(ready)); });
  return future;
}

Result<QuicStream> QuicTransport::open_bidirectional_stream() {
  return impl_->open_stream(true);
}

Result<QuicStream> QuicTransport::open_unidirectional_stream() {
  return impl_->open_stream(false);
}

void QuicTransport::on_incoming_stream(std::function<void(QuicStream)> handler) {
  impl_->set_incoming_handler(std::move(handler));
}

void QuicTransport::close() {
  impl_->close();
}

void QuicTransport::on_close(std::function<void(const std::string&)> handler) {
  impl_->set_close_handler(std::move(handler));
}

// ---- QuicStream ----

std::int64_t QuicStream::id() const {
  return impl_->id();
}

bool QuicStream::bidirectional() const {
  return impl_->bidirectional();
}

bool QuicStream::incoming() const {
  return impl_->incoming();
}

Result<std::size_t> QuicStream::write(std::span<const std::uint8_t> bytes) {
  return impl_->write(bytes);
}

Result<void> QuicStream::finish() {
  return impl_->finish();
}

void QuicStream::reset(std::uint64_t code) {
  impl_->reset(code);
}

void QuicStream::pause_reading() {
  impl_->pause();
}

void QuicStream::resume_reading() {
  impl_->resume();
}

void QuicStream::on_data(std::function<void(std::span<const std::uint8_t>, bool)> handler) {
  impl_->set_data_handler(std::move(handler));
}

void QuicStream::on_writable(std::function<void()> handler) {
  impl_->on_writable.set(std::move(handler));
}

void QuicStream::on_reset(std::function<void(std::uint64_t)> handler) {
  impl_->on_reset.set(std::move(handler));
}

}  // namespace lp2p
