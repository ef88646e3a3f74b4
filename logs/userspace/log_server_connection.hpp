// SPDX-License-Identifier: GPL-2.0-only
// Wires a LogServer to a Carrier (the server's end): cmirrord's local.c (kernel_recv,
// do_local_work, kernel_send, kernel_ack). Each message is decoded strictly (transfer/
// ulog_request.hpp); a well-formed request goes to the engine and its reply or bare ack goes
// back, encoded into the request's own buffer. Malformed input never reaches the engine:
//  * request_type 0: NACKed with a bare ack carrying EAGAIN (the kernel resends);
//  * another unknown request type: logged and ignored (the kernel times out and resends);
//  * a readable header with a bad payload or field: replied with -EINVAL, data_size 0;
//  * anything shorter than a header, or a bare ack: logged and dropped.
//
// InProcessLogServer: the engine on an InProcessLink on the caller's io_context, startable and
// stoppable (a stopped server does not listen: the kernel side gets -ESRCH), for tests and
// scenarios. restart() starts a fresh engine, as a restarted daemon.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>

#include "logs/userspace/log_server.hpp"
#include "transfer/carriers/carrier.hpp"
#include "transfer/carriers/in_process.hpp"

namespace dmemu::logs {

class LogServerConnection {
public:
    LogServerConnection(transfer::Carrier& carrier, LogServer& engine);
    ~LogServerConnection();
    LogServerConnection(const LogServerConnection&) = delete;
    LogServerConnection& operator=(const LogServerConnection&) = delete;

    std::uint64_t dropped() const { return dropped_; }
    std::uint64_t nacked() const { return nacked_; }

private:
    void on_message(std::vector<std::byte> bytes);

    transfer::Carrier& carrier_;
    LogServer& engine_;
    // Reused for every request (decoded into, answered from) so the steady state allocates
    // nothing: the carrier never delivers inline from send(), so on_message is not re-entered.
    transfer::UlogMessage request_;
    ServerResponse response_;
    std::uint64_t dropped_ = 0;
    std::uint64_t nacked_ = 0;
};

class InProcessLogServer {
public:
    explicit InProcessLogServer(boost::asio::io_context& ctx, LogServerOptions options = {},
                                bool start_now = true);
    ~InProcessLogServer();

    // What the KernelEndpoint is built on.
    transfer::Carrier& kernel_carrier() { return link_.kernel_side(); }
    transfer::InProcessLink& link() { return link_; }

    void start();    // listen (no-op when running)
    void stop();     // stop listening; the engine's state is kept
    void restart();  // a fresh engine, listening
    bool running() const { return connection_ != nullptr; }
    LogServer& engine() { return *engine_; }
    const LogServer& engine() const { return *engine_; }
    const LogServerConnection* connection() const { return connection_.get(); }

private:
    LogServerOptions options_;
    transfer::InProcessLink link_;
    std::unique_ptr<LogServer> engine_;
    std::unique_ptr<LogServerConnection> connection_;
};

}  // namespace dmemu::logs
