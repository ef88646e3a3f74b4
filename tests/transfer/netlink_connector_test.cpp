// SPDX-License-Identifier: GPL-2.0-only
// The netlink connector for real processes (transfer/netlink_frame.hpp,
// carriers/netlink_connector_server.hpp): the datagram a NETLINK_CONNECTOR socket receives is
// what cn_netlink_send builds (nlmsghdr, cn_msg, request, zero padding to 4 bytes), what a
// process sends is checked as cn_rx_skb checks it, every connected socket gets each message,
// nobody listening is -ESRCH, and garbage is dropped without harm.
// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/carriers/netlink_connector_server.hpp"
#include "transfer/cn_msg.hpp"
#include "transfer/netlink_frame.hpp"
#include "transfer/ulog_payloads.hpp"

namespace dmemu::transfer {
namespace {

using test::Bytes;

Bytes ctr_request() {
    // 180 + 25 bytes: not a multiple of 4, so the datagram carries padding
    return encode(
        make_request("LVM-m1", 7, UlogRequestType::ctr, 42, as_bytes("65536 clustered-core 1024")));
}

std::uint32_t u32_at(const Bytes& b, std::size_t off) {
    std::uint32_t v;
    std::memcpy(&v, b.data() + off, 4);
    return v;
}
std::uint16_t u16_at(const Bytes& b, std::size_t off) {
    std::uint16_t v;
    std::memcpy(&v, b.data() + off, 2);
    return v;
}

TEST(NetlinkFrame, WrapIsWhatCnNetlinkSendDelivers) {
    const Bytes cn = ctr_request();
    const Bytes d = netlink_wrap(cn);
    EXPECT_EQ(u32_at(d, 0), 16u + cn.size());  // nlmsg_len, unaligned
    EXPECT_EQ(u16_at(d, 4), 3u);               // NLMSG_DONE
    EXPECT_EQ(u16_at(d, 6), 0u);               // flags
    EXPECT_EQ(u32_at(d, 8), 42u);              // nlmsg_seq = cn_msg.seq
    EXPECT_EQ(u32_at(d, 12), 0u);              // portid 0: the kernel
    EXPECT_EQ(d.size() % 4, 0u);
    EXPECT_EQ(d.size(), (16 + cn.size() + 3) / 4 * 4);
    EXPECT_TRUE(std::equal(cn.begin(), cn.end(), d.begin() + 16));
    for (std::size_t i = 16 + cn.size(); i < d.size(); ++i) EXPECT_EQ(d[i], std::byte{0});
}

TEST(NetlinkFrame, UnwrapKeepsTheCnMsgAndItsLenBytes) {
    const Bytes cn = ctr_request();
    std::string why;
    auto out = netlink_unwrap(netlink_wrap(cn), &why);
    ASSERT_TRUE(out) << why;
    EXPECT_EQ(*out, cn);
}

TEST(NetlinkFrame, UnwrapDropsWhatCnRxSkbDrops) {
    const Bytes good = netlink_wrap(ctr_request());
    std::string why;
    EXPECT_FALSE(netlink_unwrap(Bytes(good.begin(), good.begin() + 15), &why))
        << "shorter than nlmsghdr";
    Bytes longer = good;
    const std::uint32_t claim = static_cast<std::uint32_t>(good.size() + 4);
    std::memcpy(longer.data(), &claim, 4);
    EXPECT_FALSE(netlink_unwrap(longer, &why)) << "nlmsg_len beyond the datagram";
    Bytes tiny = good;
    const std::uint32_t small = 16 + 19;
    std::memcpy(tiny.data(), &small, 4);
    EXPECT_FALSE(netlink_unwrap(tiny, &why)) << "payload shorter than cn_msg";
    Bytes overrun = good;
    const std::uint16_t len = 60000;
    std::memcpy(overrun.data() + 16 + offsetof(CnMsg, len), &len, 2);
    EXPECT_FALSE(netlink_unwrap(overrun, &why)) << "cn_msg.len beyond nlmsg_len";
    Bytes other = good;
    const std::uint32_t idx = 8;
    std::memcpy(other.data() + 16, &idx, 4);
    EXPECT_FALSE(netlink_unwrap(other, &why)) << "no callback for 8.1";
    EXPECT_NE(why.find("8.1"), std::string::npos) << why;
}

class NetlinkConnectorTest : public test::SocketDirTest {
protected:
    // A process's NETLINK_CONNECTOR socket, as libdmemu-preload.so makes it.
    int join() {
        const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        return fd;
    }
    static bool readable(int fd) {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, 0) == 1;
    }
    Bytes recv_datagram(int fd) {
        Bytes buf(4096);
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
        buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return buf;
    }
};

TEST_F(NetlinkConnectorTest, NobodyListeningIsEsrchThenEveryListenerGetsEachMessage) {
    NetlinkConnectorServer server(ctx, path);
    EXPECT_EQ(server.send(ctr_request()), -ESRCH);
    const int a = join(), b = join();
    ASSERT_TRUE(run_until([&] { return server.listeners() == 2; }));
    ASSERT_EQ(server.send(ctr_request()), 0);
    ASSERT_TRUE(run_until([&] { return readable(a) && readable(b); }));
    EXPECT_EQ(recv_datagram(a), netlink_wrap(ctr_request()));
    EXPECT_EQ(recv_datagram(b), netlink_wrap(ctr_request()));
    ::close(a);
    ASSERT_TRUE(run_until([&] { return server.listeners() == 1; }));
    ::close(b);
    ASSERT_TRUE(run_until([&] { return server.listeners() == 0; }));
    EXPECT_EQ(server.send(ctr_request()), -ESRCH);
}

TEST_F(NetlinkConnectorTest, RepliesAreUnframedAndGarbageIsDropped) {
    NetlinkConnectorServer server(ctx, path);
    std::vector<Bytes> at_kernel;
    server.set_receiver([&](Bytes m) { at_kernel.push_back(std::move(m)); });
    const int fd = join();
    const Bytes garbage(10, std::byte{0x5a});
    ASSERT_EQ(::send(fd, garbage.data(), garbage.size(), 0), 10);
    const Bytes reply = encode(make_bare_ack(42, 0));
    const Bytes framed = netlink_wrap(reply);
    ASSERT_EQ(::send(fd, framed.data(), framed.size(), 0), static_cast<ssize_t>(framed.size()));
    ASSERT_TRUE(run_until([&] { return at_kernel.size() == 1; }));
    EXPECT_EQ(at_kernel[0], reply);     // the garbage never reached the kernel side
    EXPECT_EQ(server.listeners(), 1u);  // and did not cost the socket its connection
    ::close(fd);
}

}  // namespace
}  // namespace dmemu::transfer
