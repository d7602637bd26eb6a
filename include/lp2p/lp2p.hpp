// The Local Peer-to-Peer API in C++: include this one header.
#pragma once

#include "lp2p/agent.hpp"
#include "lp2p/connection.hpp"
#include "lp2p/consent.hpp"
#include "lp2p/data_channel.hpp"
#include "lp2p/log.hpp"
#include "lp2p/message.hpp"
#include "lp2p/peer.hpp"
#include "lp2p/quic_transport.hpp"
#include "lp2p/receiver.hpp"
#include "lp2p/request.hpp"
#include "lp2p/result.hpp"
