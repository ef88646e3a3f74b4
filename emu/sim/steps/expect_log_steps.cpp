// SPDX-License-Identifier: GPL-2.0-only
// Assertions on the userspace-log wire (ulog_observer.hpp):
//
//   expect log-request TYPE [luid=L] [answered=yes|no] [reached=R] [error=E]
//                           [which=every|last|first|any] [since=MARK] [count=N|count>=N|count<=N]
//
// Selects the requests of TYPE (RESUME, DTR, GET_SYNC_COUNT, ... as the kernel's short names;
// a DM_ULOG_ prefix is accepted) sent since MARK (else since the run began), from log L when
// luid= is given, answered or not when answered= is given, and asserts on them:
//   luid=, reached=  a log by name: NEW (the newest log on the wire), OLD (the one before it),
//                    L1, L2, ... (order of first appearance); reached= also takes none (the
//                    request reached no log object: the server had none for it)
//   reached=R        the request reached the server object created by R's CTR
//   error=E          the reply's error: 0, -EINVAL, -ENOENT, ... (or EINVAL)
//   which=           every selected request must satisfy it (default), or the last, the
//                    first, or any one of them
//   count=           how many were selected (checked before the rest; count=0 asserts none)
#include <fmt/format.h>

#include <cerrno>

#include "emu/sim/count_condition.hpp"
#include "emu/sim/scenario_io.hpp"
#include "emu/sim/step_registry.hpp"

namespace dmemu::scenario {

namespace {

using transfer::UlogRequestType;

// A log as written in the expectation, resolved when it runs.
struct LogRef {
    enum class Kind { newest, previous, numbered, none } kind = Kind::numbered;
    int n = 0;

    static std::optional<LogRef> parse(const std::string& w, bool allow_none) {
        if (w == "NEW") return LogRef{Kind::newest, 0};
        if (w == "OLD") return LogRef{Kind::previous, 0};
        if (allow_none && w == "none") return LogRef{Kind::none, 0};
        if (w.size() >= 2 && w[0] == 'L' &&
            w.find_first_not_of("0123456789", 1) == std::string::npos)
            return LogRef{Kind::numbered, std::stoi(w.substr(1))};
        return std::nullopt;
    }
    int resolve(const UlogObserver& o) const {
        switch (kind) {
            case Kind::newest:
                return o.logs_seen();
            case Kind::previous:
                return o.logs_seen() - 1;
            case Kind::numbered:
                return n;
            case Kind::none:
                return 0;
        }
        return 0;
    }
    std::string str(const UlogObserver& o) const {
        if (kind == Kind::none) return "none";
        const std::string name = UlogObserver::log_name(resolve(o));
        if (kind == Kind::numbered) return name;
        return fmt::format("{} ({})", kind == Kind::newest ? "NEW" : "OLD", name);
    }
};

std::optional<int> parse_errno(const std::string& w) {
    static const std::map<std::string, int> names{
        {"EINVAL", EINVAL}, {"ENOENT", ENOENT}, {"ESRCH", ESRCH},  {"EEXIST", EEXIST},
        {"EAGAIN", EAGAIN}, {"EIO", EIO},       {"ENOSPC", ENOSPC}};
    if (w == "0") return 0;
    std::string n = w[0] == '-' ? w.substr(1) : w;
    if (auto it = names.find(n); it != names.end()) return -it->second;
    if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos) return -std::stoi(n);
    return std::nullopt;
}

class ExpectLogRequestStep final : public Step {
public:
    enum class Which { every, last, first, any };
    struct Spec {
        UlogRequestType type{};
        std::optional<LogRef> from, reached;
        std::optional<int> error;
        std::optional<bool> answered;
        Which which = Which::every;
        std::string since;
        std::optional<CountCondition> count;
    };
    explicit ExpectLogRequestStep(Spec s) : s_(std::move(s)) {}
    bool is_expectation() const override { return true; }

    asio::awaitable<StepResult> run(World& world) override {
        const auto& o = world.ulog();
        std::size_t first = 0;
        if (!s_.since.empty()) {
            auto it = world.marks().find(s_.since);
            if (it == world.marks().end())
                co_return StepResult::fail("no mark named '" + s_.since +
                                           "' was set before this line");
            first = it->second.exchange;
        }
        const int from = s_.from ? s_.from->resolve(o) : -1;
        std::vector<const UlogExchange*> picked;
        const auto& all = o.exchanges();
        for (std::size_t i = first; i < all.size(); ++i)
            if (all[i].type == s_.type && (from < 0 || all[i].log == from) &&
                (!s_.answered || all[i].answered == *s_.answered))
                picked.push_back(&all[i]);
        const std::string what = fmt::format(
            "{}{}{}{}", s_.answered ? (*s_.answered ? "answered " : "unanswered ") : "",
            transfer::short_name(s_.type), s_.from ? " from " + s_.from->str(o) : std::string(),
            s_.since.empty() ? std::string() : " since " + s_.since);
        if (s_.count && !s_.count->holds(picked.size()))
            co_return StepResult::fail(fmt::format("{} {} request{} {}; expected {}", picked.size(),
                                                   what, picked.size() == 1 ? "" : "s",
                                                   picked.size() == 1 ? "was sent" : "were sent",
                                                   s_.count->str()));
        if (picked.empty()) {
            if (s_.count) co_return StepResult::pass("none sent");
            co_return StepResult::fail("no " + what + " request was sent");
        }
        if (s_.which == Which::last) picked.erase(picked.begin(), picked.end() - 1);
        if (s_.which == Which::first) picked.resize(1);
        std::string first_bad;
        std::size_t good = 0;
        for (const auto* x : picked) {
            const std::string why = check(*x, o);
            if (why.empty())
                ++good;
            else if (first_bad.empty())
                first_bad = why;
        }
        const bool ok = s_.which == Which::any ? good > 0 : good == picked.size();
        if (ok)
            co_return StepResult::pass(fmt::format("{} {} request{} checked", picked.size(), what,
                                                   picked.size() == 1 ? "" : "s"));
        co_return StepResult::fail(
            fmt::format("{} of {} {} request{} {}: {}", picked.size() - good, picked.size(), what,
                        picked.size() == 1 ? "" : "s",
                        s_.which == Which::any ? "and none passed" : "did not pass", first_bad));
    }

private:
    // Why this exchange does not satisfy the spec ("" when it does).
    std::string check(const UlogExchange& x, const UlogObserver& o) const {
        const std::string who = fmt::format("{} seq {} from {}", transfer::short_name(x.type),
                                            x.seq, UlogObserver::log_name(x.log));
        if ((s_.reached || s_.error) && !x.answered) return fmt::format("{} got no reply", who);
        // A real server does not say which of its objects a request reached: the rest is checked.
        if (s_.reached && x.reached_known) {
            const int want = s_.reached->resolve(o);
            const auto log_of = [](const std::string& name) {
                return fmt::format("{}'s log", name);
            };
            if (x.reached != want)
                return fmt::format("{} reached {}, expected {}", who,
                                   x.reached == 0 ? std::string("no log")
                                                  : log_of(UlogObserver::log_name(x.reached)),
                                   s_.reached->kind == LogRef::Kind::none
                                       ? std::string("no log")
                                       : log_of(s_.reached->str(o)));
        }
        if (s_.error && x.error != *s_.error)
            return fmt::format("{} was answered {}, expected {}", who, errno_name(x.error),
                               errno_name(*s_.error));
        return {};
    }

    Spec s_;
};

std::unique_ptr<Step> make_log_request(StepArgs& a) {
    ExpectLogRequestStep::Spec s;
    if (auto v = a.option("luid")) {
        s.from = LogRef::parse(*v, false);
        if (!s.from) a.fail("expected luid=NEW|OLD|L<n>, got '" + *v + "'");
    }
    if (auto v = a.option("reached")) {
        s.reached = LogRef::parse(*v, true);
        if (!s.reached) a.fail("expected reached=NEW|OLD|L<n>|none, got '" + *v + "'");
    }
    if (auto v = a.option("error")) {
        s.error = parse_errno(*v);
        if (!s.error) a.fail("expected error=0|-EINVAL|-ENOENT|..., got '" + *v + "'");
    }
    if (auto v = a.option("answered")) {
        if (*v != "yes" && *v != "no") a.fail("expected answered=yes|no, got '" + *v + "'");
        s.answered = *v == "yes";
    }
    if (auto v = a.option("which")) {
        if (*v == "every")
            s.which = ExpectLogRequestStep::Which::every;
        else if (*v == "last")
            s.which = ExpectLogRequestStep::Which::last;
        else if (*v == "first")
            s.which = ExpectLogRequestStep::Which::first;
        else if (*v == "any")
            s.which = ExpectLogRequestStep::Which::any;
        else
            a.fail("expected which=every|last|first|any, got '" + *v + "'");
    }
    if (auto v = a.option("since")) s.since = *v;
    std::vector<std::string> rest;
    for (const auto& w : a.words()) {
        auto c = CountCondition::parse(w);
        if (c && c->key == "count")
            s.count = c;
        else
            rest.push_back(w);
    }
    if (rest.size() != 1) a.fail("expected one request TYPE (RESUME, DTR, GET_SYNC_COUNT, ...)");
    std::string name = rest[0];
    if (name.rfind("DM_ULOG_", 0) == 0) name = name.substr(8);
    auto type = transfer::request_type_from_name(name);
    if (!type)
        a.fail("expected a request type such as RESUME, DTR or GET_SYNC_COUNT, got '" + rest[0] +
               "'");
    s.type = *type;
    return std::make_unique<ExpectLogRequestStep>(std::move(s));
}

}  // namespace

void register_expect_log_steps(StepRegistry& r) {
    r.add(StepKind{"expect log-request",
                   "expect log-request TYPE [luid=NEW|OLD|Ln] [answered=yes|no] "
                   "[reached=NEW|OLD|Ln|none] [error=E] "
                   "[which=every|last|first|any] [since=MARK] [count=N|count>=N]",
                   make_log_request});
}

}  // namespace dmemu::scenario
