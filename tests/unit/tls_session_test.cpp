// TLS over memory buffers: a real OpenSSL client talks to TlsSession, with
// keys and certificates made here, so every byte the server sends is what a
// socket would carry. And the certificate loading errors a person reads.
#include "net/tls_session.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "net/tls_context.hpp"

namespace cairn::net {
namespace {

namespace fs = std::filesystem;

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

KeyPtr new_key() { return {EVP_EC_gen("P-256"), &EVP_PKEY_free}; }

std::string key_pem(EVP_PKEY* key) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);  // PKCS#8
  char* data = nullptr;
  const long size = BIO_get_mem_data(b, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(b);
  return pem;
}

// A self-signed certificate for localhost.
std::string cert_pem(EVP_PKEY* key, long serial) {
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* data = nullptr;
  const long size = BIO_get_mem_data(b, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(b);
  X509_free(x);
  return pem;
}

void write_file(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("cairn-tls-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    write_file(dir / "key.pem", key_pem(key.get()));
    write_file(dir / "cert.pem", cert_pem(key.get(), 1));
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string file(const char* name) const { return (dir / name).string(); }

  // Client and server exchange bytes until neither has more to say.
  void pump(SSL* client, BIO* to_client, BIO* from_client, TlsSession& server,
            std::string& server_got) {
    for (int round = 0; round < 20; ++round) {
      SSL_do_handshake(client);
      std::array<char, 65536> buf;
      const int n = BIO_read(from_client, buf.data(), buf.size());
      if (n > 0) server.feed({buf.data(), static_cast<std::size_t>(n)});
      auto r = server.read(buf);
      ASSERT_NE(r.status, TlsSession::Read::failed);
      server_got.append(buf.data(), r.got);
      std::string out;
      server.take_output(out);
      if (!out.empty()) BIO_write(to_client, out.data(), static_cast<int>(out.size()));
      if (n <= 0 && out.empty()) return;
    }
  }

  KeyPtr key = new_key();
  fs::path dir;
};

struct Client {
  explicit Client(SSL_CTX* ctx) : ssl(SSL_new(ctx)) {
    to_client = BIO_new(BIO_s_mem());
    from_client = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(to_client, -1);
    SSL_set_bio(ssl, to_client, from_client);
    SSL_set_connect_state(ssl);
    SSL_set_tlsext_host_name(ssl, "localhost");
  }
  ~Client() { SSL_free(ssl); }
  std::string read_all() {
    std::string got;
    std::array<char, 4096> buf;
    std::size_t n = 0;
    while (SSL_read_ex(ssl, buf.data(), buf.size(), &n) == 1) got.append(buf.data(), n);
    ERR_clear_error();
    return got;
  }
  SSL* ssl;
  BIO* to_client;
  BIO* from_client;
};

SSL_CTX* client_ctx(const std::string& trusted_cert_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, trusted_cert_file.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return ctx;
}

TEST_F(TlsTest, HandshakeThenRequestsAndRepliesBothWays) {
  TlsContext context(file("cert.pem"), file("key.pem"));
  TlsSession server(context.new_session());
  SSL_CTX* cctx = client_ctx(file("cert.pem"));
  Client client(cctx);
  std::string got;
  pump(client.ssl, client.to_client, client.from_client, server, got);
  ASSERT_TRUE(server.handshake_done());
  EXPECT_EQ(SSL_get_verify_result(client.ssl), X509_V_OK);
  EXPECT_EQ(SSL_version(client.ssl), TLS1_3_VERSION);  // preferred

  const std::string request = "GET /announce HTTP/1.1\r\nHost: localhost\r\n\r\n";
  ASSERT_EQ(SSL_write(client.ssl, request.data(), static_cast<int>(request.size())),
            static_cast<int>(request.size()));
  pump(client.ssl, client.to_client, client.from_client, server, got);
  EXPECT_EQ(got, request);

  ASSERT_TRUE(server.write("HTTP/1.1 200 OK\r\n\r\n"));
  std::string out;
  server.take_output(out);
  BIO_write(client.to_client, out.data(), static_cast<int>(out.size()));
  EXPECT_EQ(client.read_all(), "HTTP/1.1 200 OK\r\n\r\n");
  SSL_CTX_free(cctx);
}

TEST_F(TlsTest, TlsOneTwoIsAccepted) {
  TlsContext context(file("cert.pem"), file("key.pem"));
  TlsSession server(context.new_session());
  SSL_CTX* cctx = client_ctx(file("cert.pem"));
  SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
  Client client(cctx);
  std::string got;
  pump(client.ssl, client.to_client, client.from_client, server, got);
  EXPECT_TRUE(server.handshake_done());
  EXPECT_EQ(SSL_version(client.ssl), TLS1_2_VERSION);
  SSL_CTX_free(cctx);
}

TEST_F(TlsTest, OlderVersionsAreRefused) {
  TlsContext context(file("cert.pem"), file("key.pem"));
  TlsSession server(context.new_session());
  SSL_CTX* cctx = client_ctx(file("cert.pem"));
  SSL_CTX_set_security_level(cctx, 0);
  SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(cctx, TLS1_1_VERSION);
  Client client(cctx);
  SSL_do_handshake(client.ssl);
  std::array<char, 65536> buf;
  const int n = BIO_read(client.from_client, buf.data(), buf.size());
  ASSERT_GT(n, 0);
  server.feed({buf.data(), static_cast<std::size_t>(n)});
  EXPECT_EQ(server.read(buf).status, TlsSession::Read::failed);
  EXPECT_FALSE(server.handshake_done());
  SSL_CTX_free(cctx);
}

TEST_F(TlsTest, GarbageFailsTheHandshakeWithAnAlert) {
  TlsContext context(file("cert.pem"), file("key.pem"));
  TlsSession server(context.new_session());
  server.feed("GET / HTTP/1.1\r\nHost: plain-http-on-the-tls-port\r\n\r\n");
  std::array<char, 1024> buf;
  EXPECT_EQ(server.read(buf).status, TlsSession::Read::failed);
  // Whatever it has to say is at most an alert, never plaintext.
  std::string out;
  server.take_output(out);
  EXPECT_LE(out.size(), 7u);
}

TEST_F(TlsTest, ASmallBufferLeavesTheRestBuffered) {
  TlsContext context(file("cert.pem"), file("key.pem"));
  TlsSession server(context.new_session());
  SSL_CTX* cctx = client_ctx(file("cert.pem"));
  Client client(cctx);
  std::string got;
  pump(client.ssl, client.to_client, client.from_client, server, got);
  const std::string big(10000, 'x');
  SSL_write(client.ssl, big.data(), static_cast<int>(big.size()));
  std::array<char, 65536> wire;
  const int n = BIO_read(client.from_client, wire.data(), wire.size());
  server.feed({wire.data(), static_cast<std::size_t>(n)});
  std::array<char, 4096> small;
  auto r = server.read(small);
  EXPECT_EQ(r.got, small.size());
  EXPECT_TRUE(r.more);  // the transport must come back without waiting for the socket
  std::size_t total = r.got;
  while (r.more) total += (r = server.read(small)).got;
  EXPECT_EQ(total, big.size());
  SSL_CTX_free(cctx);
}

TEST_F(TlsTest, LoadErrorsSayWhatWasWrong) {
  write_file(dir / "other.pem", key_pem(new_key().get()));
  write_file(dir / "garbage.pem", "not pem at all\n");
  auto message = [&](const char* cert, const char* key_file) -> std::string {
    try {
      TlsContext c(file(cert), file(key_file));
    } catch (const TlsError& e) {
      return e.what();
    }
    return "loaded";
  };
  EXPECT_NE(message("missing.pem", "key.pem")
                .find("tls.cert_file \"" + file("missing.pem") + "\" cannot be read: No such file"),
            std::string::npos);
  EXPECT_NE(message("garbage.pem", "key.pem").find("expected PEM"), std::string::npos);
  EXPECT_NE(message("cert.pem", "garbage.pem").find("expected an unencrypted PEM private key"),
            std::string::npos);
  EXPECT_NE(message("cert.pem", "other.pem").find("is not the key of the certificate"),
            std::string::npos);
  EXPECT_EQ(message("cert.pem", "key.pem"), "loaded");
}

TEST_F(TlsTest, ReloadTakesTheNewPairAndKeepsTheOldOnFailure) {
  TlsContext context(file("cert.pem"), file("key.pem"));
  auto served_serial = [&] {
    TlsSession server(context.new_session());
    SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
    Client client(cctx);
    std::string got;
    pump(client.ssl, client.to_client, client.from_client, server, got);
    X509* peer = SSL_get1_peer_certificate(client.ssl);
    const long serial = peer ? ASN1_INTEGER_get(X509_get0_serialNumber(peer)) : -1;
    X509_free(peer);
    SSL_CTX_free(cctx);
    return serial;
  };
  EXPECT_EQ(served_serial(), 1);
  auto key2 = new_key();
  write_file(dir / "key.pem", key_pem(key2.get()));
  write_file(dir / "cert.pem", cert_pem(key2.get(), 2));
  context.reload();
  EXPECT_EQ(served_serial(), 2);
  // A broken pair (a key that is not the certificate's) is refused; the
  // served pair stays.
  write_file(dir / "key.pem", key_pem(new_key().get()));
  EXPECT_THROW(context.reload(), TlsError);
  EXPECT_EQ(served_serial(), 2);
}

}  // namespace
}  // namespace cairn::net
