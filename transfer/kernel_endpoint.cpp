// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/kernel_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <list>

#include "transfer/kernel_reply.hpp"
#include "transfer/turnstile.hpp"

namespace dmemu::transfer {

namespace asio = boost::asio;

struct KernelEndpoint::State {
    // The kernel's struct receiving_pkg: one per send, in the sender's frame.
    struct Waiter {
        std::uint32_t seq;
        std::size_t capacity;
        emu::Sleep* sleep;
        bool done = false;
        int error = 0;
        std::vector<std::byte> data;
    };

    // Registration on the receiving list for the span of one wait.
    class Registration {
    public:
        Registration(State& state, Waiter& waiter) : state_(state), waiter_(&waiter) {
            state_.waiters.push_front(waiter_);  // list_add: newest first
        }
        ~Registration() { leave(); }
        Registration(const Registration&) = delete;
        Registration& operator=(const Registration&) = delete;
        void leave() {
            if (waiter_) state_.waiters.remove(waiter_);
            waiter_ = nullptr;
        }

    private:
        State& state_;
        Waiter* waiter_;
    };

    State(emu::Clock& c, emu::KernelLog& l, Carrier& car, KernelEndpointOptions o)
        : clock(c),
          log(l),
          carrier(&car),
          options(o),
          seq(o.first_seq),
          turnstile(c.context().get_executor()) {}

    emu::Clock& clock;
    emu::KernelLog& log;
    Carrier* carrier;
    KernelEndpointOptions options;
    std::uint32_t seq;  // dm_ulog_seq
    Turnstile turnstile;
    std::list<Waiter*> waiters;  // receiving_list
    bool closed = false;
};

namespace {

// The kernel prints the last 8 characters of a longer uuid.
std::string_view short_uuid(std::string_view uuid) {
    return uuid.size() > 8 ? uuid.substr(uuid.size() - 8) : uuid;
}

}  // namespace

KernelEndpoint::KernelEndpoint(emu::Clock& clock, emu::KernelLog& log, Carrier& carrier,
                               KernelEndpointOptions options)
    : state_(std::make_shared<State>(clock, log, carrier, options)), carrier_(carrier) {
    std::weak_ptr<State> weak = state_;
    carrier_.set_receiver([weak](std::vector<std::byte> bytes) {
        if (auto state = weak.lock(); state && !state->closed) on_message(*state, std::move(bytes));
    });
}

KernelEndpoint::~KernelEndpoint() {
    carrier_.set_receiver(nullptr);
    state_->closed = true;
    state_->turnstile.close();
    for (auto* w : state_->waiters) w->sleep->cancel();
}

std::uint32_t KernelEndpoint::next_seq() const { return state_->seq; }

std::size_t KernelEndpoint::waiting() const { return state_->waiters.size(); }

asio::awaitable<ConsultResult> KernelEndpoint::consult(std::string_view uuid, std::uint64_t luid,
                                                       UlogRequestType type,
                                                       std::span<const std::byte> data,
                                                       std::size_t reply_capacity) {
    // Not a coroutine itself: the copies are made now, before the caller's temporaries die.
    return run(state_, std::string(uuid), luid, type,
               std::vector<std::byte>(data.begin(), data.end()), reply_capacity);
}

asio::awaitable<ConsultResult> KernelEndpoint::run(std::shared_ptr<State> st, std::string uuid,
                                                   std::uint64_t luid, UlogRequestType type,
                                                   std::vector<std::byte> data,
                                                   std::size_t reply_capacity) {
    if (st->closed) co_return ConsultResult{-ESHUTDOWN, {}};
    if (data.size() > kMaxRequestPayload) {
        st->log.info(kUlogMsgPrefix, "Size of tfr exceeds preallocated size");
        co_return ConsultResult{-EINVAL, {}};
    }
    if (uuid.size() > kMaxUuidLength || uuid.find('\0') != std::string::npos) {
        // userspace_ctr refuses such a uuid before any request; reaching here is a caller bug.
        spdlog::error("ulog: uuid of {} bytes does not fit uuid[{}] with its NUL", uuid.size(),
                      DM_UUID_LEN);
        co_return ConsultResult{-EINVAL, {}};
    }

    Turnstile::Pass pass(st->turnstile);
    if (st->options.one_in_flight && !co_await pass.enter())
        co_return ConsultResult{-ESHUTDOWN, {}};

    const auto type_number = static_cast<std::uint32_t>(type);
    emu::Sleep sleep(st->clock);
    for (;;) {  // resend:
        if (st->closed) co_return ConsultResult{-ESHUTDOWN, {}};
        State::Waiter waiter{st->seq++, reply_capacity, &sleep, false, 0, {}};
        State::Registration registration(*st, waiter);

        const int r = st->carrier->send(encode(make_request(uuid, luid, type, waiter.seq, data)));
        if (r != 0) {
            st->log.err(kUlogMsgPrefix, "Unable to send log request [{}] to userspace: {}",
                        type_number, r);
            co_return ConsultResult{r, {}};
        }

        co_await sleep.for_(st->options.retry_timeout);
        registration.leave();
        if (st->closed) co_return ConsultResult{-ESHUTDOWN, {}};
        if (!waiter.done) {
            st->log.warn(kUlogMsgPrefix, "[{}] Request timed out: [{}/{}] - retrying",
                         short_uuid(uuid), type_number, waiter.seq);
            continue;
        }
        if (waiter.error == -EAGAIN) continue;
        co_return ConsultResult{waiter.error, std::move(waiter.data)};
    }
}

void KernelEndpoint::on_message(State& st, std::vector<std::byte> bytes) {
    auto parsed = parse_kernel_reply(bytes);
    if (!parsed) {
        if (parsed.error().code == DecodeErrc::incomplete) {
            const auto cn = peek_cn_msg(bytes);
            st.log.err(kUlogMsgPrefix, "Incomplete message received (expected {}, got {}): [{}]",
                       sizeof(DmUlogRequest), cn->len, cn->seq);
        } else {
            spdlog::warn("ulog: kernel side dropped a message: {}", parsed.error().message);
        }
        return;
    }
    const KernelReply& reply = *parsed;

    // fill_pkg: a bare ack names its request by cn_msg.seq, a full reply by dm_ulog_request.seq.
    const std::uint32_t seq = reply.bare_ack ? reply.cn_seq : reply.seq;
    const auto it = std::find_if(st.waiters.begin(), st.waiters.end(),
                                 [seq](const State::Waiter* w) { return w->seq == seq; });
    if (it == st.waiters.end()) return;  // late or unknown: -ENOENT, ignored
    State::Waiter& w = **it;

    if (reply.bare_ack) {
        w.error = static_cast<int>(0u - reply.cn_ack);
        if (w.error != -EAGAIN) w.data.clear();
    } else if (reply.data.size() > w.capacity) {
        st.log.err(kUlogMsgPrefix, "Insufficient space to receive package [{}] ({} vs {})",
                   reply.request_type, reply.data.size(), w.capacity);
        w.data.clear();
        w.error = -ENOSPC;
    } else {
        w.error = reply.error;
        w.data.assign(reply.data.begin(), reply.data.end());
    }
    w.done = true;
    w.sleep->cancel();
}

}  // namespace dmemu::transfer
