// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/kernel_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>

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
            state_.waiters.push_back(waiter_);  // list_add: newest first, read from the back
        }
        ~Registration() { leave(); }
        Registration(const Registration&) = delete;
        Registration& operator=(const Registration&) = delete;
        void leave() {
            if (waiter_) std::erase(state_.waiters, waiter_);
            waiter_ = nullptr;
        }

    private:
        State& state_;
        Waiter* waiter_;
    };

    // A Sleep borrowed for one consult. Consults reuse them: building one costs allocations
    // (its wait queue), and a consult needs one whether or not it ever times out.
    class SleepLease {
    public:
        explicit SleepLease(State& state) : state_(state) {
            if (state_.idle_sleeps.empty()) {
                sleep_ = std::make_unique<emu::Sleep>(state_.clock);
            } else {
                sleep_ = std::move(state_.idle_sleeps.back());
                state_.idle_sleeps.pop_back();
            }
        }
        ~SleepLease() {
            sleep_->cancel();  // what destroying it did: no timer outlives the consult
            state_.idle_sleeps.push_back(std::move(sleep_));
        }
        SleepLease(const SleepLease&) = delete;
        SleepLease& operator=(const SleepLease&) = delete;
        emu::Sleep& get() { return *sleep_; }

    private:
        State& state_;
        std::unique_ptr<emu::Sleep> sleep_;
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
    // receiving_list, oldest first (the kernel's list_add puts the newest at its head; we search
    // from the back, which visits them in the kernel's order). A vector: no node per send.
    std::vector<Waiter*> waiters;
    std::vector<std::unique_ptr<emu::Sleep>> idle_sleeps;
    // The buffer of the last reply, reused to encode the next request: with a carrier that hands
    // over its buffers (in-process, socket), the steady state allocates no message buffers.
    std::vector<std::byte> spare;
    bool closed = false;
};

// consult()'s arguments, copied into run()'s frame: the uuid and payload are bounded (longer
// ones are refused), so fixed arrays hold them and a consult allocates nothing for them.
struct KernelEndpoint::Arguments {
    std::uint64_t luid;
    UlogRequestType type;
    std::size_t reply_capacity;
    std::size_t uuid_size;  // the caller's, even when it exceeds the array (then refused)
    std::size_t data_size;  // likewise
    std::array<char, kMaxUuidLength> uuid;
    std::array<std::byte, kMaxRequestPayload> data;

    std::string_view uuid_view() const { return {uuid.data(), std::min(uuid_size, uuid.size())}; }
    std::span<const std::byte> data_view() const {
        return {data.data(), std::min(data_size, data.size())};
    }
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
    // Newest first, as the kernel's list: each cancel posts a wake-up, and their order is the
    // order the consults finish in.
    for (auto it = state_->waiters.rbegin(); it != state_->waiters.rend(); ++it)
        (*it)->sleep->cancel();
}

std::uint32_t KernelEndpoint::next_seq() const { return state_->seq; }

std::size_t KernelEndpoint::waiting() const { return state_->waiters.size(); }

asio::awaitable<ConsultResult> KernelEndpoint::consult(std::string_view uuid, std::uint64_t luid,
                                                       UlogRequestType type,
                                                       std::span<const std::byte> data,
                                                       std::size_t reply_capacity) {
    // Not a coroutine itself: the copies are made now, before the caller's temporaries die.
    Arguments args{};
    args.luid = luid;
    args.type = type;
    args.reply_capacity = reply_capacity;
    args.uuid_size = uuid.size();
    args.data_size = data.size();
    const std::size_t uuid_bytes = std::min(uuid.size(), args.uuid.size());
    std::copy_n(uuid.data(), uuid_bytes, args.uuid.data());
    std::copy_n(data.data(), std::min(data.size(), args.data.size()), args.data.data());
    return run(state_, args);
}

asio::awaitable<ConsultResult> KernelEndpoint::run(std::shared_ptr<State> st, Arguments args) {
    if (st->closed) co_return ConsultResult{-ESHUTDOWN, {}};
    if (args.data_size > kMaxRequestPayload) {
        st->log.info(kUlogMsgPrefix, "Size of tfr exceeds preallocated size");
        co_return ConsultResult{-EINVAL, {}};
    }
    const std::string_view uuid = args.uuid_view();
    if (args.uuid_size > kMaxUuidLength || uuid.find('\0') != std::string_view::npos) {
        // userspace_ctr refuses such a uuid before any request; reaching here is a caller bug.
        spdlog::error("ulog: uuid of {} bytes does not fit uuid[{}] with its NUL", args.uuid_size,
                      DM_UUID_LEN);
        co_return ConsultResult{-EINVAL, {}};
    }
    const std::span<const std::byte> data = args.data_view();

    Turnstile::Pass pass(st->turnstile);
    // try_enter: a free turn is taken without a coroutine frame; enter() then resumes at once
    // too, so both ways take the same steps on the loop.
    if (st->options.one_in_flight && !pass.try_enter() && !co_await pass.enter())
        co_return ConsultResult{-ESHUTDOWN, {}};

    const auto type_number = static_cast<std::uint32_t>(args.type);
    State::SleepLease lease(*st);
    emu::Sleep& sleep = lease.get();
    for (;;) {  // resend:
        if (st->closed) co_return ConsultResult{-ESHUTDOWN, {}};
        State::Waiter waiter{st->seq++, args.reply_capacity, &sleep, false, 0, {}};
        State::Registration registration(*st, waiter);

        std::vector<std::byte> message = std::move(st->spare);
        encode_request(uuid, args.luid, args.type, waiter.seq, data, message);
        const int r = st->carrier->send(std::move(message));
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
    const auto it = std::find_if(st.waiters.rbegin(), st.waiters.rend(),
                                 [seq](const State::Waiter* w) { return w->seq == seq; });
    if (it == st.waiters.rend()) return;  // late or unknown: -ENOENT, ignored
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
    st.spare = std::move(bytes);  // reply.data is copied: the buffer is free
    // Last: resumed now, the consult may send again, register anew or end the endpoint.
    if (st.options.resume_in_delivery)
        w.sleep->cancel_now();
    else
        w.sleep->cancel();
}

}  // namespace dmemu::transfer
