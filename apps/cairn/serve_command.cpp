#include "serve_command.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "server/config.hpp"
#include "server/config_check.hpp"
#include "server/log_format.hpp"
#include "server/server.hpp"
#include "store/redis/slot_map.hpp"

namespace cairn::app {

namespace {

std::vector<core::Endpoint> endpoints(std::string_view option,
                                      const std::vector<std::string>& texts) {
  std::vector<core::Endpoint> out;
  for (const auto& text : texts) {
    auto at = core::Endpoint::parse(text);
    if (!at)
      throw std::runtime_error(std::string(option) + " " + text +
                               ": not an address:port (IPv6 in brackets)");
    out.push_back(*at);
  }
  return out;
}

}  // namespace

ServeCommand::ServeCommand(CLI::App& parent) {
  command_ = parent.add_subcommand("serve", "Run the tracker");
  command_->add_option("--config", config_path_, "TOML configuration file")
      ->check(CLI::ExistingFile);
  command_->add_option(
      "--listen", listen_,
      "Address to serve HTTP and UDP on, e.g. 127.0.0.1:6969 or [::1]:0; repeatable; "
      "replaces server.listen");
  command_->add_option(
      "--dht-listen", dht_listen_,
      "Address to run the DHT node on (UDP, KRPC), e.g. 0.0.0.0:6881 or [::]:6881; repeatable; "
      "replaces dht.listen");
  command_->add_option("--admin-listen", admin_listen_,
                       "Address of the admin listener (/metrics, /stats.json, the dashboard), e.g. "
                       "127.0.0.1:6970; repeatable; \"off\" for none; replaces admin.listen");
  command_->add_option("--state", state_file_,
                       "File to save the swarm state and rendezvous records to at shutdown and "
                       "restore them from at start; replaces server.state_file");
  command_->add_option("--tls-listen", tls_listen_,
                       "Address to serve https and wss on, e.g. 0.0.0.0:443; repeatable; "
                       "replaces tls.listen");
  command_->add_option("--tls-cert", tls_cert_,
                       "PEM certificate chain for --tls-listen; replaces tls.cert_file");
  command_->add_option("--tls-key", tls_key_,
                       "PEM private key of --tls-cert; replaces tls.key_file");
  command_->add_option("--redis", redis_,
                       "Keep the state in a Redis Cluster: some of its nodes as "
                       "HOST:PORT[,HOST:PORT...]; sets store.backend = \"redis\" and replaces "
                       "store.redis_nodes");
  // Each sets store.redis_tls too: a CA, certificate or key means TLS.
  command_->add_option("--redis-tls-ca", redis_tls_ca_,
                       "Speak TLS to the Redis nodes, trusting the CAs in this PEM file; sets "
                       "store.redis_tls and replaces store.redis_ca_file");
  command_->add_option("--redis-tls-cert", redis_tls_cert_,
                       "PEM client certificate to present to the Redis nodes (with "
                       "--redis-tls-key); sets store.redis_tls and replaces "
                       "store.redis_cert_file");
  command_->add_option("--redis-tls-key", redis_tls_key_,
                       "PEM private key of --redis-tls-cert; sets store.redis_tls and replaces "
                       "store.redis_key_file");
  command_->add_flag("--print-config", print_config_, "Print the default configuration and exit");
  command_->add_flag("--check-config", check_config_,
                     "Check the configuration (--config and the options given) and every file it "
                     "names, print what is wrong or that it is valid, and exit (0: valid)");
  command_
      ->add_option("--log-format", log_format_,
                   "Log lines as text or json (one object a line); replaces server.log_format")
      ->check(CLI::IsMember({"text", "json"}));
}

// The file over the defaults, then the command line's options over the
// file: at start, and again on every SIGHUP.
server::Config ServeCommand::load() const {
  server::Config config =
      config_path_.empty() ? server::Config{} : server::load_config(config_path_);
  if (!listen_.empty()) config.listen = endpoints("--listen", listen_);
  if (!dht_listen_.empty()) config.dht_listen = endpoints("--dht-listen", dht_listen_);
  if (!tls_listen_.empty()) config.tls.listen = endpoints("--tls-listen", tls_listen_);
  if (admin_listen_ == std::vector<std::string>{"off"})
    config.admin_listen.clear();
  else if (!admin_listen_.empty())
    config.admin_listen = endpoints("--admin-listen", admin_listen_);
  if (!tls_cert_.empty()) config.tls.cert_file = tls_cert_;
  if (!tls_key_.empty()) config.tls.key_file = tls_key_;
  if (auto problem = server::tls_problem(config)) throw std::runtime_error(*problem);
  if (!state_file_.empty()) config.state_file = state_file_;
  if (!redis_.empty()) {
    config.store.backend = "redis";
    config.store.redis_nodes.clear();
    for (std::size_t at = 0; at <= redis_.size();) {
      const std::size_t end = std::min(redis_.find(',', at), redis_.size());
      const std::string node = redis_.substr(at, end - at);
      if (!store::redis::NodeAddress::parse(node, ""))
        throw std::runtime_error("--redis " + redis_ + ": \"" + node +
                                 "\" is not HOST:PORT (several: HOST:PORT,HOST:PORT)");
      config.store.redis_nodes.push_back(node);
      at = end + 1;
    }
  }
  for (auto [flag, key] : {std::pair{&redis_tls_ca_, &config.store.redis_ca_file},
                           std::pair{&redis_tls_cert_, &config.store.redis_cert_file},
                           std::pair{&redis_tls_key_, &config.store.redis_key_file}}) {
    if (flag->empty()) continue;
    config.store.redis_tls = true;
    *key = *flag;
  }
  if (!log_format_.empty()) config.log_format = *server::parse_log_format(log_format_);
  return config;
}

int ServeCommand::run() const {
  if (print_config_) {
    std::fputs(server::default_config_text().c_str(), stdout);
    return 0;
  }
  server::Config config = load();
  if (check_config_) {
    server::check_config_files(config);
    std::printf("%s: the configuration is valid\n",
                config_path_.empty() ? "(defaults)" : config_path_.c_str());
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  server::use_log_format(config.log_format);
  // Logs go to stderr and the listening lines to stdout, often a pipe
  // (`cairn serve | head`, a FIFO, a log collector). When its reader goes
  // away, a write must fail and be dropped, not kill the tracker with
  // SIGPIPE before it saves its state. Sockets need not rely on this: HTTP
  // replies are sent with MSG_NOSIGNAL.
  std::signal(SIGPIPE, SIG_IGN);
  server::Server server(std::move(config));
  if (!config_path_.empty()) server.set_config_source([this] { return load(); });
  // Non-zero when the final save of the state file failed: a supervisor
  // should know the state was lost.
  return server.run_until_signal() ? 0 : 1;
}

}  // namespace cairn::app
